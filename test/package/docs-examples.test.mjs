// Every example in the docs is run. A JavaScript code block in README.md or docs/ is either the
// whole of a file in examples/ or a run of its lines, word for word, or it says right before its
// fence that it is not runnable (<!-- fragment: why -->); every file in examples/ is shown in the
// docs. Each runnable example then runs as its own process against a real OTLP/gRPC receiver (the
// endpoint given as OTEL_EXPORTER_OTLP_ENDPOINT, as a user would), must exit 0, and the spans and
// log records it makes must arrive.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { startPostgres, startRedis } from '../servers.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Every file under `dir` (relative to the repository) whose name passes `keep`. */
function filesUnder (dir, keep) {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).replaceAll('\\', '/'))
    .sort()
}

const CODE_LANGUAGES = new Set(['js', 'mjs', 'cjs', 'javascript', 'ts', 'typescript'])
const FRAGMENT = /^<!-- fragment: \S.* -->$/

/**
 * The JavaScript code blocks of a Markdown file (indented ones in lists too, their indentation
 * removed), with where they are and whether the line before the fence marks them as fragments.
 */
function codeBlocks (file, text) {
  const lines = text.split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```([^\s`]*)/.exec(lines[i])
    if (open === null) continue
    const [, indent, language] = open
    const end = lines.findIndex((line, j) => j > i && /^\s*```\s*$/.test(line))
    assert.notEqual(end, -1, `${file}:${i + 1}: a code fence that never closes`)
    if (CODE_LANGUAGES.has(language)) {
      let before = i - 1
      while (before >= 0 && lines[before].trim() === '') before--
      blocks.push({
        where: `${file}:${i + 1}`,
        lines: lines.slice(i + 1, end).map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line)),
        fragment: before >= 0 && FRAGMENT.test(lines[before].trim())
      })
    }
    i = end
  }
  return blocks
}

/** An import of an example (ES module or CommonJS). */
const isImport = (line) => /^import[\s{*'"]|^const .*= require\(/.test(line)

/**
 * Whether `block` is a run of whole lines of `file`, word for word (trailing spaces aside). A run
 * that shows imports shows all of the file's: copied on its own, it has what it uses.
 */
function isExcerpt (block, file) {
  const a = block.map((l) => l.trimEnd())
  const b = file.map((l) => l.trimEnd())
  while (a.length > 0 && a.at(-1) === '') a.pop()
  if (a.length === 0) return false
  for (let start = 0; start + a.length <= b.length; start++) {
    if (!a.every((line, k) => line === b[start + k])) continue
    if (!a.some(isImport)) return true
    return b.every((line, k) => !isImport(line) || (k >= start && k < start + a.length))
  }
  return false
}

const docs = ['README.md', ...filesUnder('docs', (name) => name.endsWith('.md'))]
const blocks = docs.flatMap((file) => codeBlocks(file, readFileSync(join(root, file), 'utf8')))
const examples = filesUnder('examples', (name) => /\.(mjs|cjs|js)$/.test(name))
const exampleLines = new Map(examples.map((file) => [file, readFileSync(join(root, file), 'utf8').split('\n')]))

/**
 * How each example runs and what it must deliver. `server` examples listen on PORT (0 here): they
 * get the requests, then SIGTERM, which the plugin answers by flushing and exiting 0. The others
 * run to completion. `spans` and `logs` must arrive at the receiver; `absent` spans must not.
 * `servers` are started first (test/servers.mjs) and given as REDIS_URL / DATABASE_URL; an
 * `alongside` example (a queue's worker) runs with the same arguments and environment from before
 * the example starts (once its output matches `ready`) until its spans have arrived.
 */
const RUN = {
  'examples/quick-start.mjs': { server: [['GET', '/orders/42']], spans: ['GET /orders/:id'] },
  'examples/quick-start.cjs': { server: [['GET', '/orders/42']], spans: ['GET /orders/:id'] },
  'examples/outbound-calls.mjs': { spans: ['POST /refunds/:id', 'GET', 'POST'], stdout: /inventory: 200, ledger: 200/ },
  'examples/domain-spans.mjs': { spans: ['POST /refunds/:orderId', 'refund.process'], stdout: /^200\n500$/m },
  'examples/routes-without-spans.mjs': { spans: ['GET /orders/:id'], absent: ['GET /health', 'GET /metrics'] },
  'examples/logs.mjs': { spans: ['POST /refunds/:id'], logs: ['refund requested'] },
  'examples/metrics.mjs': { spans: ['POST /refunds/:id'], stdout: /^metric data points exported: [1-9]\d*$/m },
  'examples/config-errors.mjs': { stdout: /^FOK_ERR_UNKNOWN_OPTION$/m },
  'examples/stats.mjs': { spans: ['GET /'], stdout: /^true$/m },
  'examples/where-did-the-time-go.mjs': {
    spans: ['POST /refunds/:orderId', 'preHandler - checkEntitlements'],
    stdout: /^POST \/refunds\/:orderId: \d+ % of \d+ ms is not covered by any span; slowest hook preHandler/m
  },
  'examples/span-processors.mjs': {
    spans: ['GET /orders/:id'],
    attributes: { 'GET /orders/:id': { 'tenant.id': 'acme' } },
    stdout: /second backend: 1 export/
  },
  'examples/workers/run-in-worker.mjs': {
    spans: ['POST /orders/:id/receipt', 'worker.dispatch render', 'worker.task render', 'receipt.render']
  },
  'examples/workers/traced-pool.mjs': {
    spans: [
      'POST /orders/:id/receipt',
      'worker.dispatch receipt-worker',
      'worker.task receipt-worker',
      'receipt.render'
    ]
  },
  'examples/workers/traced-task.mjs': {
    spans: ['POST /receipts/:id/sign', 'worker.dispatch receipt.sign', 'worker.task receipt.sign'],
    stdout: /rcpt-untraced/
  },
  'examples/context/plain-worker-thread.mjs': { spans: ['POST /reports'], stdout: /sameTrace: true/ },
  'examples/queues/any-queue.mjs': {
    spans: ['POST /orders/:orderId', 'send emails', 'process emails', 'email.send']
  },
  'examples/queues/bullmq-app.mjs': {
    servers: ['redis', 'postgres'],
    alongside: { file: 'examples/queues/bullmq-worker.mjs', ready: /worker ready/ },
    nodeArgs: ['--import', 'fastify-otel-kit/register'],
    env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg,ioredis', OTEL_BSP_SCHEDULE_DELAY: '100' },
    server: [['POST', '/orders/ord-7421']],
    spans: ['POST /orders/:orderId', 'send receipts', 'evalsha', 'process receipts', 'receipt.render']
  },
  'examples/preload/app.mjs': {
    nodeArgs: ['--import', 'fastify-otel-kit/register'],
    env: { OTEL_SERVICE_NAME: 'checkout' },
    server: [['POST', '/checkout']],
    spans: ['POST /checkout', 'POST']
  }
}

/** Modules the examples above load (worker modules): shown in the docs, run through their callers. */
const LOADED_BY_EXAMPLES = new Set([
  'examples/workers/receipt-worker.mjs',
  'examples/workers/signing-worker.mjs',
  'examples/context/plain-worker.mjs',
  'examples/queues/bullmq-worker.mjs'
])

test('every JavaScript block in the docs is an examples/ file, a run of its lines, or marked as a fragment', () => {
  assert.ok(blocks.length > 0, 'no code blocks found')
  const unmatched = blocks.filter(
    (block) => !block.fragment && ![...exampleLines.values()].some((lines) => isExcerpt(block.lines, lines))
  )
  assert.deepEqual(
    unmatched.map((b) => b.where),
    [],
    'blocks that are neither an example (or a run of its lines) nor marked <!-- fragment: why -->'
  )
})

test('every examples/ file is shown in the docs', () => {
  const shown = (file) => blocks.some((block) => !block.fragment && isExcerpt(block.lines, exampleLines.get(file)))
  assert.deepEqual(
    examples.filter((file) => !shown(file)),
    []
  )
})

test('every examples/ file is run, or loaded by one that is', () => {
  assert.deepEqual(examples, [...Object.keys(RUN), ...LOADED_BY_EXAMPLES].sort())
})

/** Environment for an example: the receiver as the collector, none of this process's OTEL_* settings. */
function exampleEnv (receiver, extra = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS')
  )
  return { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint, PORT: '0', ...extra }
}

/** Resolves with the first URL the example's Fastify logs as listening. */
function listeningUrl (child, output) {
  return new Promise((resolve, reject) => {
    const onData = () => {
      const found = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output.stdout)
      if (found !== null) {
        child.stdout.off('data', onData)
        resolve(found[1])
      }
    }
    child.stdout.on('data', onData)
    child.once('exit', (code) =>
      reject(new Error(`exited (${code}) before listening\n${output.stdout}\n${output.stderr}`))
    )
  })
}

/** The servers an example needs, as the environment variables it reads them from; stopped after the test. */
async function startServers (t, servers = []) {
  const env = {}
  if (servers.includes('redis')) env.REDIS_URL = (await startRedis(t)).url
  if (servers.includes('postgres')) env.DATABASE_URL = (await startPostgres(t)).connectionString
  return env
}

/** Runs an example file with its output collected. */
function spawnExample (file, spec, env) {
  const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), join(root, file)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const output = { stdout: '', stderr: '' }
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    output.stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    output.stderr += chunk
  })
  return { child, output, exited: once(child, 'exit') }
}

/** Starts the `alongside` example and resolves once its output says it is ready. */
async function startAlongside ({ file, ready }, spec, env) {
  const started = spawnExample(file, spec, env)
  await new Promise((resolve, reject) => {
    const onData = () => {
      if (!ready.test(started.output.stdout)) return
      started.child.stdout.off('data', onData)
      resolve()
    }
    started.child.stdout.on('data', onData)
    started.child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before it was ready`)))
  })
  return started
}

async function runExample (t, file, spec) {
  const receiver = await OtlpReceiver.start()
  let companion
  try {
    const env = exampleEnv(receiver, { ...(await startServers(t, spec.servers)), ...spec.env })
    if (spec.alongside !== undefined) companion = await startAlongside(spec.alongside, spec, env)
    const { child, output, exited } = spawnExample(file, spec, env)
    if (spec.server !== undefined) {
      const base = await listeningUrl(child, output)
      for (const [method, path] of spec.server) {
        const response = await fetch(base + path, { method })
        await response.arrayBuffer()
        assert.ok(response.ok, `${method} ${path}: ${response.status}`)
      }
      child.kill('SIGTERM')
    }
    const [code, signal] = await exited
    assert.equal(code, 0, `${file} exited with ${code ?? signal}\nstdout:\n${output.stdout}\nstderr:\n${output.stderr}`)
    const names = () => receiver.spans.map((s) => s.name)
    if (spec.spans !== undefined) {
      await receiver.waitFor((spans) => spec.spans.every((name) => spans.some((s) => s.name === name)), 5000)
      // One trace per request or job: every span's parent arrived too, or it is a root (or came from outside).
      for (const span of receiver.spans) {
        if (span.parentSpanId === '' || spec.remoteParents) continue
        assert.ok(
          receiver.spans.some((s) => s.spanId === span.parentSpanId),
          `${span.name}: its parent did not arrive (${names()})`
        )
      }
    }
    for (const [name, expected] of Object.entries(spec.attributes ?? {})) {
      const span = receiver.spans.find((s) => s.name === name)
      for (const [key, value] of Object.entries(expected)) assert.equal(span.attributes[key], value, `${name}: ${key}`)
    }
    for (const name of spec.absent ?? []) {
      assert.ok(!names().includes(name), `${name} should not be exported (${names()})`)
    }
    if (spec.logs !== undefined) {
      await receiver.waitForLogs((logs) => spec.logs.every((body) => logs.some((l) => l.body === body)), 5000)
    }
    if (companion !== undefined) {
      companion.child.kill('SIGTERM')
      const [code, signal] = await companion.exited
      assert.equal(code, 0, `${spec.alongside.file} exited with ${code ?? signal}\n${companion.output.stderr}`)
    }
    return { receiver, output }
  } finally {
    if (companion?.child.exitCode === null) companion.child.kill('SIGKILL')
    await receiver.stop()
  }
}

/** Runs each example of `specs` as a test. */
function runEach (specs) {
  for (const [file, spec] of specs) {
    test(file, { timeout: 30_000 }, async (t) => {
      const { output } = await runExample(t, file, spec)
      if (spec.stdout !== undefined) assert.match(output.stdout, spec.stdout)
    })
  }
}

// Examples that start database servers (and a second process) run after the others, not among
// them: on two cores, a cluster's initdb beside fifteen examples pushed their flushes past the bound.
const specs = Object.entries(RUN)
// Four at a time: all fifteen at once on two cores took 20-30 s each beside other work, and every
// one hit its 30 s timeout in a CI run with a soak test on the machine (four at a time: 3-6 s each).
describe('each example runs and delivers', { concurrency: 4 }, () => {
  runEach(specs.filter(([, spec]) => spec.servers === undefined))
})
describe('each example with servers runs and delivers', () => {
  runEach(specs.filter(([, spec]) => spec.servers !== undefined))
})
