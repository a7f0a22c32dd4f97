// A user's OpenTelemetry stack on the current line: the package as npm installs it from its tarball,
// in one app beside @opentelemetry/api 1.10, @opentelemetry/sdk-node 0.301, the SDK's trace and logs
// packages and upstream's OTLP exporters. The install must be clean (no peer dependency warning, one
// copy of the API, core, resources and the trace SDK), and whichever way the app hands its telemetry
// over (the plugin's own exporter, an upstream -proto, -http or -grpc exporter instance as
// `exporter`, the SDK's Simple and Batch processors as `spanProcessors`, an upstream log exporter as
// `logs.exporter`), every span and log record the app makes arrives at a real receiver. One more app
// takes its tracer at the top of an ES module, before the plugin registers, as most apps do.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const fixtures = fileURLToPath(new URL('../fixtures/consumer-app/', import.meta.url))
const installed = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version

/** The npm that runs this suite (npm test), else the one on PATH. */
const npm = process.env.npm_execpath?.endsWith('.js') ? [process.execPath, process.env.npm_execpath] : ['npm']

/**
 * The environment of a user's shell: without the npm_* variables `npm test` sets (they would
 * point npm at this repository) and without OTEL_* settings of whoever runs the suite.
 */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|otel_)/i.test(key)))

async function npmRun (args, cwd) {
  try {
    const { stdout, stderr } = await run(npm[0], [...npm.slice(1), ...args], { cwd, env: userEnv, maxBuffer: 16 << 20 })
    return { stdout, log: stdout + stderr, code: 0 }
  } catch (error) {
    if (typeof error.code !== 'number') throw error
    return { stdout: error.stdout, log: error.stdout + error.stderr, code: error.code }
  }
}

/** Every copy of a package in an installed tree, as its versions. */
function copiesOf (dir, name) {
  const found = []
  const visit = (modules) => {
    if (!existsSync(modules)) return
    for (const entry of readdirSync(modules)) {
      const scoped = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((e) => join(entry, e)) : [entry]
      for (const pkg of scoped) {
        const at = join(modules, pkg)
        if (pkg === name) found.push(JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')).version)
        visit(join(at, 'node_modules'))
      }
    }
  }
  visit(join(dir, 'node_modules'))
  return found
}

const SDK_NODE = '~0.301.2'
const work = mkdtempSync(join(tmpdir(), 'fok-consumers-'))
const app = join(work, 'consumer-app')
let install

before(async () => {
  const packed = await npmRun(['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)
  assert.equal(packed.code, 0, packed.log)
  const [{ filename }] = JSON.parse(packed.stdout)
  // fastify and piscina at the versions this suite runs with (CI swaps fastify); the OpenTelemetry
  // packages at the line the package is built on, as a user of that line installs them.
  const dependencies = {
    fastify: installed('fastify'),
    piscina: installed('piscina'),
    '@opentelemetry/api': '1.10.0',
    '@opentelemetry/sdk-node': SDK_NODE,
    '@opentelemetry/sdk-trace': `^${installed('@opentelemetry/sdk-trace')}`,
    '@opentelemetry/sdk-logs': `^${installed('@opentelemetry/sdk-logs')}`,
    '@opentelemetry/exporter-trace-otlp-proto': `^${installed('@opentelemetry/exporter-trace-otlp-proto')}`,
    '@opentelemetry/exporter-trace-otlp-http': `^${installed('@opentelemetry/exporter-trace-otlp-http')}`,
    '@opentelemetry/exporter-trace-otlp-grpc': `^${installed('@opentelemetry/exporter-trace-otlp-grpc')}`,
    '@opentelemetry/exporter-logs-otlp-proto': `^${installed('@opentelemetry/exporter-logs-otlp-proto')}`,
    'fastify-otel-kit': `file:${join(work, filename)}`
  }
  mkdirSync(app)
  const manifest = { name: 'consumer-app', private: true, type: 'module', dependencies }
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2))
  for (const file of readdirSync(fixtures)) copyFileSync(join(fixtures, file), join(app, file))
  install = await npmRun(['install', '--prefer-offline', '--no-audit', '--no-fund'], app)
  assert.equal(install.code, 0, install.log)
})

after(() => rmSync(work, { recursive: true, force: true }))

const SINGLE_COPY = [
  '@opentelemetry/api',
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-trace'
]

test('one install beside sdk-node: no peer warning, one copy of the API, core, resources, trace SDK', async (t) => {
  const warnings = install.log.split('\n').filter((line) => /ERESOLVE|overriding peer dependency/i.test(line))
  assert.deepEqual(warnings, [], `npm install warned:\n${install.log}`)
  for (const name of SINGLE_COPY) {
    const copies = copiesOf(app, name)
    assert.equal(copies.length, 1, `copies of ${name}: ${copies.join(', ')}`)
    t.diagnostic(`${name} ${copies[0]}`)
  }
  assert.deepEqual(copiesOf(app, '@opentelemetry/api'), ['1.10.0'])
  assert.match(copiesOf(app, '@opentelemetry/sdk-node')[0], /^0\.301\./)
  const ls = await npmRun(['ls', '@opentelemetry/api'], app)
  assert.equal(ls.code, 0, `npm ls @opentelemetry/api:\n${ls.log}`)
})

/** Runs one of the app's scripts with the suite's Node; its last stdout line, parsed. */
async function runApp (script, env) {
  const { stdout } = await run(process.execPath, [script], { cwd: app, env: { ...userEnv, ...env }, timeout: 60_000 })
  return JSON.parse(stdout.trim().split('\n').pop())
}

async function startReceiver (t) {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  return receiver
}

/** Every span app.mjs makes, in one trace, parented as written, at `receiver`. */
function assertSpanTree (receiver, result, label) {
  const spans = receiver.spans
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const tree = spans.map((s) => `${byId.get(s.parentSpanId)?.name ?? '(root)'} > ${s.name}`).sort()
  assert.deepEqual(
    tree,
    [
      '(root) > GET /work',
      'GET /work > app.outer',
      'app.outer > app.inner',
      'app.outer > app.call',
      'app.call > GET', // request.otel.fetch's CLIENT span
      'GET > GET /downstream', // the server side of that call, in the same trace
      'app.outer > worker.dispatch render',
      'worker.dispatch render > worker.task render',
      'worker.task render > worker.render', // made in the worker thread with the app's API
      'worker.render > worker.sign'
    ].sort(),
    label
  )
  for (const span of spans) {
    assert.equal(span.traceId, result.traceId, `${label}: ${span.name}`)
    assert.equal(span.resource['service.name'], 'consumer-app', label)
  }
}

/** What the app itself saw of its trace: the downstream route's traceparent and the worker's trace. */
function assertAppView (receiver, result) {
  assert.equal(result.status, 200)
  assert.equal(result.api, '1.10.0')
  const client = receiver.spans.find((s) => s.name === 'GET')
  const [, traceId, parentId, flags] = result.downstream.traceparent.split('-')
  assert.deepEqual([traceId, parentId, Number.parseInt(flags, 16) & 1], [result.traceId, client.spanId, 1])
  assert.equal(result.fromWorker.traceId, result.traceId)
}

/** How each export request came: transport and content type. */
const arrivals = (receiver, signal) => [
  ...new Set(receiver.exports.filter((e) => e.signal === signal).map((e) => `${e.transport} ${e.contentType}`))
]

describe('every span and record arrives, whichever way the app hands them over', { concurrency: 2 }, () => {
  const ownProtocols = [
    ['http/protobuf', 'http application/x-protobuf'],
    ['http/json', 'http application/json'],
    ['grpc', 'grpc application/grpc']
  ]
  for (const [protocol, arrival] of ownProtocols) {
    test(`the plugin's own OTLP exporter over ${protocol}: nested spans, withSpan, fetch, a Piscina ` +
      'worker', async (t) => {
      const receiver = await startReceiver(t)
      const result = await runApp('app.mjs', {
        SCENARIO: 'own-exporter',
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? receiver.endpoint : receiver.httpEndpoint
      })
      assertAppView(receiver, result)
      assertSpanTree(receiver, result, `own exporter over ${protocol}`)
      assert.deepEqual(arrivals(receiver, 'traces'), [arrival])
    })
  }

  const exporters = [
    ['proto', 'http application/x-protobuf'],
    ['http', 'http application/json'],
    ['grpc', 'grpc application/grpc']
  ]
  for (const [protocol, arrival] of exporters) {
    test(`exporter: an upstream -${protocol} OTLPTraceExporter instance`, async (t) => {
      const receiver = await startReceiver(t)
      const result = await runApp('app.mjs', {
        SCENARIO: `exporter-${protocol}`,
        RECEIVER_HTTP: receiver.httpEndpoint,
        RECEIVER_GRPC: receiver.endpoint
      })
      assertAppView(receiver, result)
      assertSpanTree(receiver, result, `-${protocol} exporter`)
      assert.deepEqual(arrivals(receiver, 'traces'), [arrival])
    })
  }

  test("spanProcessors: the SDK's Simple and Batch processors, each with its exporter, " +
    "beside the plugin's", async (t) => {
    const [own, simple, batch] = await Promise.all([startReceiver(t), startReceiver(t), startReceiver(t)])
    const result = await runApp('app.mjs', {
      SCENARIO: 'span-processors',
      OTEL_EXPORTER_OTLP_ENDPOINT: own.httpEndpoint,
      RECEIVER_HTTP_SIMPLE: simple.httpEndpoint,
      RECEIVER_HTTP_BATCH: batch.httpEndpoint
    })
    assertAppView(own, result)
    for (const [label, receiver] of Object.entries({ own, simple, batch })) assertSpanTree(receiver, result, label)
    // The simple processor exports each span as it ends; the batch processor in batches.
    assert.equal(simple.exports.length, 10)
    assert.ok(batch.exports.length < 10, `${batch.exports.length} batch exports`)
    assert.deepEqual(
      [arrivals(simple, 'traces'), arrivals(batch, 'traces')],
      [['http application/x-protobuf'], ['http application/json']]
    )
  })

  test('logs.exporter: an upstream -proto OTLPLogExporter gets every line the Fastify logger writes', async (t) => {
    const receiver = await startReceiver(t)
    const result = await runApp('app.mjs', {
      SCENARIO: 'logs-exporter',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
      RECEIVER_HTTP: receiver.httpEndpoint
    })
    assertAppView(receiver, result)
    assertSpanTree(receiver, result, 'logs scenario')
    for (const line of ['incoming request', 'working on it', 'request completed']) {
      assert.ok(result.lines.includes(line), line)
    }
    assert.deepEqual(receiver.logs.map((r) => r.body).sort(), [...result.lines].sort())
    const working = receiver.logs.find((r) => r.body === 'working on it')
    assert.deepEqual(
      [working.traceId, working.spanId, working.attributes.step],
      [result.traceId, result.outerSpanId, 'outer']
    )
    assert.equal(working.resource['service.name'], 'consumer-app')
    assert.deepEqual(arrivals(receiver, 'logs'), ['http application/x-protobuf'])
  })

  test('an ES module that takes its tracer before the plugin registers: its spans arrive', async (t) => {
    const receiver = await startReceiver(t)
    const result = await runApp('early-tracer.mjs', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint })
    assert.equal(result.status, 200)
    const byId = new Map(receiver.spans.map((s) => [s.spanId, s]))
    const tree = receiver.spans.map((s) => `${byId.get(s.parentSpanId)?.name ?? '(root)'} > ${s.name}`).sort()
    assert.deepEqual(tree, ['(root) > GET /hello', 'GET /hello > app.hello', 'app.hello > app.hello.child'])
    assert.equal(byId.get(result.spanId)?.scope.name, 'early-app')
  })
})
