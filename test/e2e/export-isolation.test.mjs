// Exports never trace themselves: every export and retry runs in the root context with tracing
// suppressed, so an exporter that makes spans, or an instrumented HTTP client under the exporter,
// records nothing, and a flush ends after what was queued when it started.
import { context, trace } from '@opentelemetry/api'
import { isTracingSuppressed } from '@opentelemetry/core'
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tracedApp } from '../helpers.mjs'

test('an exporter that makes spans: none of them is recorded, the export sees no request context, ' +
  'close ends promptly', async (t) => {
  const exporter = {
    calls: 0,
    names: [],
    seen: [],
    export (spans, done) {
      this.calls++
      this.names.push(...spans.map((s) => s.name))
      this.seen.push({
        activeSpan: trace.getActiveSpan()?.spanContext().spanId ?? null,
        suppressed: isTracingSuppressed(context.active())
      })
      // An exporter (or a client library under it) that traces its own work.
      trace.getTracer('exporter').startActiveSpan('exporter.send', (span) => span.end())
      setImmediate(() => done({ code: 0 }))
    },
    async shutdown () {}
  }
  const { app } = await tracedApp(t, { options: { exporter, batch: { maxExportBatchSize: 1, maxQueueSize: 10 } } })
  // The request's span is active when the batch fills and the export starts.
  app.get('/', async () => 'ok')
  await app.inject({ url: '/' })
  for (let i = 0; i < 5; i++) await app.otel.forceFlush()
  await app.close()
  assert.deepEqual(exporter.names, ['GET /'])
  assert.equal(exporter.calls, 1)
  assert.deepEqual(exporter.seen, [{ activeSpan: null, suppressed: true }])
})

test(
  "instrumentation-http with the OTLP/HTTP exporter: the exporter's requests are never traced",
  { timeout: 30_000 },
  async (t) => {
    const received = []
    let posts = 0
    const collector = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => {
        body += chunk
      })
      req.on('end', () => {
        posts++
        for (const resourceSpans of JSON.parse(body).resourceSpans ?? []) {
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? []) {
              received.push({ name: span.name, kind: span.kind, scope: scopeSpans.scope?.name })
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    collector.listen(0, '127.0.0.1')
    await once(collector, 'listening')
    t.after(() => collector.close())
    const app = fork(fileURLToPath(new URL('../fixtures/instrumented-http-app.mjs', import.meta.url)), {
      env: { ...process.env, COLLECTOR_URL: `http://127.0.0.1:${collector.address().port}/v1/traces` },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    t.after(() => app.kill())
    const [{ port }] = await once(app, 'message')
    const res = await fetch(`http://127.0.0.1:${port}/hello`)
    assert.equal(await res.text(), 'hi')
    app.send('finish')
    const [{ stats }] = await once(app, 'message')
    // Only the request's own span: instrumentation-http's SERVER span, which the plugin made its
    // request span. No CLIENT span for an export (kind 3), however many flushes ran.
    assert.deepEqual(received, [{ name: 'GET /hello', kind: 2, scope: '@opentelemetry/instrumentation-http' }])
    assert.equal(posts, 1)
    assert.equal(stats.exported, 1)
  }
)
