// Flushing on close and on signals, bounded in time. Signal tests run the service in a real
// child process and send it real signals.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { logCapture, RecordingExporter } from '../helpers.mjs'

const fixture = fileURLToPath(new URL('../fixtures/signal-app.mjs', import.meta.url))

/** Starts the fixture, waits for "ready", and collects stdout until it exits. */
async function startService (args, env = {}) {
  const child = spawn(process.execPath, [fixture, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env }
  })
  let out = ''
  let err = ''
  child.stderr.on('data', (chunk) => {
    err += chunk
  })
  const exited = once(child, 'exit')
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.includes('ready\n')) resolve()
    })
    exited.then(([code]) => reject(new Error(`fixture exited early with ${code}: ${err}`)))
  })
  return {
    child,
    async exit () {
      const [code, signal] = await exited
      return { code, signal, lines: out.trim().split('\n'), stderr: err }
    }
  }
}

test('app.close() flushes spans still waiting in the queue and shuts the exporter down', async () => {
  const exporter = new RecordingExporter()
  const app = Fastify()
  await app.register(otelPlugin, {
    serviceName: 'close',
    exporter,
    handleSignals: false,
    lifecycleSpans: 'off', // a slow handler on a busy machine would add a span to the count
    batch: { scheduledDelayMillis: 60_000 }
  })
  app.get('/', async () => 'ok')
  for (let i = 0; i < 5; i++) await app.inject({ url: '/' })
  assert.equal(app.otel.stats().queued, 5)
  assert.equal(exporter.spans.length, 0)
  await app.close()
  assert.equal(exporter.spans.length, 5)
  assert.equal(exporter.shutdowns, 1)
})

test(
  'a collector that never answers cannot hang close: it returns after shutdownTimeoutMillis, ' +
    'counts what it abandons as failed and says so',
  { timeout: 20_000 },
  async () => {
    const hanging = { export () {}, shutdown: () => new Promise(() => {}) }
    const logs = logCapture()
    const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
    await app.register(otelPlugin, {
      serviceName: 'hang',
      exporter: hanging,
      // The spans' books: no metric exporter beside them.
      metrics: false,
      handleSignals: false,
      shutdownTimeoutMillis: 300
    })
    app.get('/', async () => 'ok')
    await app.inject({ url: '/' })
    const stats = app.otel.stats
    await app.close()
    const warning = logs.lines.find((l) => l.code === 'FOK_WARN_SHUTDOWN_ABANDONED')
    assert.equal(
      warning?.msg,
      'fastify-otel-kit: shutdown did not finish within shutdownTimeoutMillis (300 ms): ' +
        '1 span(s) could not be exported and are counted as failed (an export was still waiting for its answer).'
    )
    // The books balance at exit: the abandoned span is failed, nothing is left unaccounted for.
    assert.deepEqual(stats(), {
      created: 1,
      queued: 0,
      exported: 0,
      dropped: 0,
      failed: 1,
      retries: 0,
      lostInWorkers: 0
    })
  }
)

test('SIGTERM: every queued span is exported before the process exits with code 0', { timeout: 30_000 }, async () => {
  const service = await startService(['4'])
  service.child.kill('SIGTERM')
  const { code, signal, lines, stderr } = await service.exit()
  assert.equal(signal, null, stderr)
  assert.equal(code, 0, stderr)
  assert.ok(lines.includes('queued 4'))
  assert.equal(lines.filter((l) => l === 'exported GET /work/:n').length, 4)
  assert.ok(lines.indexOf('exporter shutdown') > lines.lastIndexOf('exported GET /work/:n'))
})

test('SIGINT behaves the same way', { timeout: 30_000 }, async () => {
  const service = await startService(['2'])
  service.child.kill('SIGINT')
  const { code, lines } = await service.exit()
  assert.equal(code, 0)
  assert.equal(lines.filter((l) => l === 'exported GET /work/:n').length, 2)
})

test(
  'when the application handles SIGTERM itself, the plugin flushes and leaves the exit to it',
  { timeout: 30_000 },
  async () => {
    const service = await startService(['3', 'own-handler'])
    service.child.kill('SIGTERM')
    const { code, lines, stderr } = await service.exit()
    assert.equal(code, 7)
    assert.ok(lines.includes('application handler ran'))
    // Said, since a listener that only logs would also keep the process from exiting.
    assert.match(stderr, /the application listens for it too, so the plugin flushes and leaves closing the app and exiting/)
    assert.equal(lines.filter((l) => l === 'exported GET /work/:n').length, 3)
  }
)

test('handleSignals: [\'SIGHUP\']: SIGHUP flushes and exits 0; SIGINT is left to Node (no flush, the ' +
  'process ends by the signal)', { timeout: 30_000 }, async () => {
  const hup = await startService(['2'], { HANDLE_SIGNALS: 'SIGHUP' })
  hup.child.kill('SIGHUP')
  const flushed = await hup.exit()
  assert.equal(flushed.code, 0, flushed.stderr)
  assert.equal(flushed.lines.filter((l) => l === 'exported GET /work/:n').length, 2)

  const int = await startService(['2'], { HANDLE_SIGNALS: 'SIGHUP' })
  int.child.kill('SIGINT')
  const ended = await int.exit()
  assert.equal(ended.signal, 'SIGINT')
  assert.equal(ended.lines.filter((l) => l === 'exported GET /work/:n').length, 0)
})

test('an application SIGTERM listener that only logs: telemetry is flushed, and a process still running at ' +
  'twice the shutdown bound is a warning', { timeout: 30_000 }, async () => {
  const service = await startService(['2', 'listener-that-only-logs'], { SHUTDOWN_TIMEOUT: '500' })
  service.child.kill('SIGTERM')
  const started = Date.now()
  let stderr = ''
  service.child.stderr.on('data', (chunk) => { stderr += chunk })
  while (!stderr.includes('FOK_WARN_SHUTDOWN_SLOW') && Date.now() - started < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  assert.equal(service.child.exitCode, null, 'still running, as Node leaves a handled signal to its listeners')
  service.child.kill('SIGKILL')
  const { lines } = await service.exit()
  assert.ok(lines.includes('application saw SIGTERM'))
  assert.equal(lines.filter((l) => l === 'exported GET /work/:n').length, 2, 'flushed before the warning')
  const warning = JSON.parse(stderr.split('\n').find((l) => l.includes('FOK_WARN_SHUTDOWN_SLOW')))
  assert.match(warning.msg, /the process is still running 1 s after SIGTERM: the application's own SIGTERM listener/)
})

test('handleSignals: false installs no signal listener', async () => {
  const before = process.listenerCount('SIGTERM')
  const app = Fastify()
  await app.register(otelPlugin, { serviceName: 'quiet', exporter: new RecordingExporter(), handleSignals: false })
  assert.equal(process.listenerCount('SIGTERM'), before)
  await app.close()
})

test('listeners installed for signals are removed again when the app closes', async () => {
  const before = process.listenerCount('SIGTERM')
  const app = Fastify()
  await app.register(otelPlugin, { serviceName: 'tidy', exporter: new RecordingExporter(), handleSignals: ['SIGTERM'] })
  assert.equal(process.listenerCount('SIGTERM'), before + 1)
  await app.close()
  assert.equal(process.listenerCount('SIGTERM'), before)
})

test('console exporters from the environment print the span, the log record and the metrics', { timeout: 30_000 },
  async () => {
    const app = fileURLToPath(new URL('../fixtures/console-exporters-app.mjs', import.meta.url))
    const child = spawn(process.execPath, [app], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_LOGS_EXPORTER: 'console',
        OTEL_METRICS_EXPORTER: 'console'
      }
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => { out += chunk })
    child.stderr.on('data', (chunk) => { err += chunk })
    const [code] = await once(child, 'exit')
    assert.equal(code, 0, err)
    assert.match(out, /name: 'GET \/orders\/:id'/, 'the request span')
    assert.match(out, /body: 'order looked up on the console'/, 'the log record')
    assert.match(out, /name: 'http\.server\.request\.duration'/, 'the HTTP metric')
  })
