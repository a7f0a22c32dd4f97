// Warnings reach people whether or not Fastify's logger is on, carry a code, come once each, and
// never carry a secret. Recurring problems are summarised per window, and nothing counted is left
// out of the summaries, the last window included. OpenTelemetry's own diagnostics, which name span
// ids, come once per kind with their repeats counted, not once per span.
import { ExportResultCode } from '@opentelemetry/core'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { logCapture, withEnv } from '../helpers.mjs'

/** Collects process warnings emitted during a test. */
function processWarnings (t) {
  const seen = []
  const listener = (warning) => {
    if (warning.name === 'FastifyOtelKitWarning') seen.push({ code: warning.code, message: warning.message })
  }
  process.on('warning', listener)
  t.after(() => process.removeListener('warning', listener))
  return seen
}

test("with Fastify's logger off, warnings become process warnings with a code, once each, " +
  'without secrets', async (t) => {
  const seen = processWarnings(t)
  withEnv(t, { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20env-secret-123' })
  const app = Fastify()
  t.after(() => app.close())
  await app.register(otelPlugin, {
    exporter: { endpoint: 'http://127.0.0.1:9', headers: { authorization: 'Bearer option-secret-456' } },
    handleSignals: false
  })
  await nextTurn()
  assert.deepEqual(
    seen.map((w) => w.code),
    ['FOK_WARN_CONFIG', 'FOK_WARN_CONFIG']
  )
  assert.ok(
    seen.some(
      (w) =>
        w.message ===
        'fastify-otel-kit: No service name is set (option serviceName or OTEL_SERVICE_NAME): ' +
          'spans will be reported as "unknown_service:node".'
    )
  )
  assert.ok(
    seen.some((w) =>
      w.message.startsWith(
        'fastify-otel-kit: OTEL_EXPORTER_OTLP_HEADERS overrides option exporter.headers["authorization"]: ' +
          'using [REDACTED]'
      )
    )
  )
  for (const warning of seen) assert.doesNotMatch(warning.message, /secret/)
})

test('with the logger on, warnings go to the log with their code as a field, ' +
  'and not to process warnings', async (t) => {
  const seen = processWarnings(t)
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  t.after(() => app.close())
  await app.register(otelPlugin, { exporter: new InMemorySpanExporter(), handleSignals: false })
  await nextTurn()
  assert.deepEqual(seen, [])
  const line = logs.lines.find((l) => l.code === 'FOK_WARN_CONFIG')
  assert.equal(line.level, 40)
  assert.match(line.msg, /No service name is set/)
})

test('a failed export with the logger off is a process warning', async (t) => {
  const seen = processWarnings(t)
  const app = Fastify()
  t.after(() => app.close())
  const exporter = {
    export (_spans, done) {
      done({ code: ExportResultCode.FAILED, error: new Error('collector said no') })
    },
    async shutdown () {}
  }
  // The spans' warning alone: no metrics export (no collector runs here).
  await app.register(otelPlugin, { serviceName: 'quiet', exporter, handleSignals: false, metrics: false })
  app.get('/', async () => 'ok')
  await app.inject({ url: '/' })
  await app.otel.forceFlush()
  await nextTurn()
  assert.deepEqual(seen, [
    {
      code: 'FOK_WARN_EXPORT_FAILED',
      message:
        'fastify-otel-kit: could not export 1 span(s) to the exporter: collector said no. ' +
          'The service is not affected; these spans are lost.'
    }
  ])
})

test('drop warnings: the first at once, the rest summarised, the last window reported at shutdown; ' +
  'every drop in exactly one summary', async (t) => {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  const hold = { export () {}, async shutdown () {} } // never answers: the queue fills
  await app.register(otelPlugin, {
    serviceName: 'drops',
    exporter: hold,
    handleSignals: false,
    shutdownTimeoutMillis: 200,
    batch: { maxQueueSize: 2, maxExportBatchSize: 2, scheduledDelayMillis: 60_000, exportTimeoutMillis: 60_000 }
  })
  app.get('/', async () => 'ok')
  for (let i = 0; i < 10; i++) await app.inject({ url: '/' })
  const stats = app.otel.stats()
  const dropCount = (line) => Number(/dropped (\d+) span/.exec(line.msg)[1])
  const before = logs.lines.filter((l) => l.code === 'FOK_WARN_SPANS_DROPPED')
  assert.equal(before.length, 1, 'the first drop is reported at once, the rest wait for the window')
  await app.close()
  const all = logs.lines.filter((l) => l.code === 'FOK_WARN_SPANS_DROPPED')
  assert.equal(all.length, 2, 'the window still open at shutdown is reported')
  assert.equal(
    all.map(dropCount).reduce((a, b) => a + b),
    stats.dropped
  )
  assert.ok(stats.dropped > 0)
})

test('OpenTelemetry diagnostics with the logger off: once per kind whatever ids they name, ' +
  'repeats counted and reported at shutdown', async (t) => {
  const seen = processWarnings(t)
  const app = Fastify()
  await app.register(otelPlugin, { serviceName: 'diag', exporter: new InMemorySpanExporter(), handleSignals: false })
  const late = []
  // Common bugs: touching the request's span after it ended, ending it again.
  app.get('/touch', async (request) => {
    const span = request.otel.span
    late.push(
      new Promise((resolve) =>
        setImmediate(() => {
          span.setAttribute('late', 1)
          resolve()
        })
      )
    )
    return 'ok'
  })
  app.get('/end', async (request) => {
    const span = request.otel.span
    late.push(
      new Promise((resolve) =>
        setImmediate(() => {
          span.end()
          resolve()
        })
      )
    )
    return 'ok'
  })
  const requests = 200
  for (let i = 0; i < requests; i++) {
    await app.inject({ url: '/touch' })
    await app.inject({ url: '/end' })
  }
  await Promise.all(late)
  await nextTurn()
  const diagnostics = () => seen.filter((w) => w.code === 'FOK_WARN_OTEL_DIAGNOSTIC')
  // 400 diagnostics naming 400 different spans: one warning per kind, at once.
  assert.equal(diagnostics().length, 2, JSON.stringify(diagnostics()))
  assert.ok(
    diagnostics().some((w) => /Cannot execute the operation on ended Span \{traceId: [0-9a-f]{32}/.test(w.message))
  )
  assert.ok(diagnostics().some((w) => /You can only call end\(\) on a span once/.test(w.message)))
  await app.close()
  await nextTurn()
  // The repeats, counted, in one summary per kind (the window still open at shutdown).
  const summaries = diagnostics().slice(2)
  assert.equal(summaries.length, 2, JSON.stringify(summaries))
  for (const kind of [/Cannot execute the operation on ended Span/, /You can only call end\(\) on a span once/]) {
    const summary = summaries.find((w) => kind.test(w.message))
    assert.match(
      summary.message,
      new RegExp(`^fastify-otel-kit: repeated ${requests - 1} more time\\(s\\) since it was last reported`)
    )
    // The summary names the kind, not one span's ids.
    assert.doesNotMatch(summary.message, /[0-9a-f]{16}/)
  }
})
