// A user's OpenTelemetry stack: the package as npm installs it from its tarball, into apps that
// bring their own @opentelemetry/api (1.9, and 1.10, the registry's latest). Every span such an
// app makes with its own API copy (nested, withSpan, an outbound fetch, a Piscina worker module)
// must arrive at a real OTLP/gRPC receiver. The install output is recorded: with api 1.10 npm
// warns about the SDK's peer range (upstream's, see the README's "OpenTelemetry API versions").
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { OtlpReceiver } from '../dist/receiver/otlp-receiver.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const fixtures = fileURLToPath(new URL('./fixtures/consumer-app/', import.meta.url))
const installed = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version

/** The npm that runs this suite (npm test), else the one on PATH. */
const npm = process.env.npm_execpath?.endsWith('.js') ? [process.execPath, process.env.npm_execpath] : ['npm']

/**
 * The environment of a user's shell: without the npm_* variables `npm test` sets (they would
 * point npm at this repository) and without OTEL_* settings of whoever runs the suite.
 */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|otel_)/i.test(key)))

const npmRun = (args, cwd) => run(npm[0], [...npm.slice(1), ...args], { cwd, env: userEnv, maxBuffer: 16 << 20 })
  .then(({ stdout, stderr }) => ({ stdout, log: stdout + stderr }), (error) => { throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${error.stdout}${error.stderr}`) })

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

const APIS = { 'api 1.9': '~1.9.0', 'api 1.10': '1.10.0' }
const work = mkdtempSync(join(tmpdir(), 'fok-consumers-'))
const apps = {}

before(async () => {
  const [{ filename }] = JSON.parse((await npmRun(['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)).stdout)
  // The app's versions of fastify and piscina are the ones this suite runs with (CI swaps fastify).
  const dependencies = { fastify: installed('fastify'), piscina: installed('piscina'), 'fastify-otel-kit': `file:${join(work, filename)}` }
  await Promise.all(Object.entries(APIS).map(async ([label, api]) => {
    const dir = join(work, label.replace(' ', '-'))
    mkdirSync(dir)
    writeFileSync(join(dir, 'package.json'), JSON.stringify({
      name: 'consumer-app', private: true, type: 'module', dependencies: { ...dependencies, '@opentelemetry/api': api }
    }, null, 2))
    for (const file of ['app.mjs', 'worker.mjs']) copyFileSync(join(fixtures, file), join(dir, file))
    apps[label] = { dir, installLog: (await npmRun(['install', '--prefer-offline', '--no-audit', '--no-fund'], dir)).log }
  }))
})

after(() => rmSync(work, { recursive: true, force: true }))

/** npm's warnings about peer dependencies, each distinct line once with its count. */
function peerWarnings (log) {
  const counts = new Map()
  for (const line of log.split('\n')) if (/ERESOLVE|peer dep/i.test(line)) counts.set(line, (counts.get(line) ?? 0) + 1)
  return [...counts].map(([line, n]) => `${line} (x${n})`)
}

for (const [label, version] of [['api 1.9', /^1\.9\./], ['api 1.10', /^1\.10\.0$/]]) {
  test(`${label}: one API copy installed, and every span the app makes arrives at the receiver`, { timeout: 120_000 }, async (t) => {
    const { dir, installLog } = apps[label]
    for (const line of peerWarnings(installLog)) t.diagnostic(`npm install (${label}): ${line}`)
    if (label === 'api 1.10') {
      // Upstream's peer range (SDK 2.12: >=1.3.0 <1.10.0), quoted in the README as npm prints it.
      assert.match(installLog, /^npm warn ERESOLVE overriding peer dependency$/m)
    } else {
      assert.doesNotMatch(installLog, /ERESOLVE/)
    }
    // The app's own copy is the only one: the plugin and the SDK use it too.
    const copies = copiesOf(dir, '@opentelemetry/api')
    assert.equal(copies.length, 1, `copies of @opentelemetry/api: ${copies.join(', ')}`)
    assert.match(copies[0], version)

    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const { stdout } = await run(process.execPath, ['app.mjs'], {
      cwd: dir, env: { ...userEnv, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }, timeout: 60_000
    })
    const result = JSON.parse(stdout.trim().split('\n').pop())
    assert.equal(result.status, 200)
    assert.match(result.api, version)

    // The app closed (which flushes) before it printed: everything has arrived.
    const spans = receiver.spans
    const byId = new Map(spans.map((s) => [s.spanId, s]))
    const tree = spans.map((s) => `${byId.get(s.parentSpanId)?.name ?? '(root)'} > ${s.name}`).sort()
    assert.deepEqual(tree, [
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
    ].sort())
    for (const span of spans) {
      assert.equal(span.traceId, result.traceId, span.name)
      assert.equal(span.resource['service.name'], 'consumer-app')
    }
    // What the downstream route received and what the worker saw belong to the same trace.
    const client = spans.find((s) => s.name === 'GET')
    const [, traceId, parentId, flags] = result.downstream.traceparent.split('-')
    assert.deepEqual([traceId, parentId, Number.parseInt(flags, 16) & 1], [result.traceId, client.spanId, 1])
    assert.equal(result.fromWorker.traceId, result.traceId)
  })
}
