// Log records at a real OTLP/gRPC receiver on loopback: beside their spans (same trace ids, same
// resource), delivered at SIGTERM, with the collector down nothing lost that the queue can hold
// (every drop counted), from the preload entry, and home from worker threads.
import Fastify from 'fastify'
import otelPlugin, { withSpan } from 'fastify-otel-kit'
import { runInWorker } from 'fastify-otel-kit/workers'
import assert from 'node:assert/strict'
import { fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { INBOUND_TRACE_ID, logCapture, sampledParent } from '../helpers.mjs'

test('log records arrive beside their spans: the same trace and span ids, the same resource, ' +
  "pino's fields as attributes", async (t) => {
  const receiver = await OtlpReceiver.start()
  const app = Fastify({ logger: { level: 'info', stream: { write () {} } } })
  t.after(async () => {
    await app.close()
    await receiver.stop()
  })
  await app.register(otelPlugin, {
    serviceName: 'e2e-logs',
    serviceVersion: '1.2.3',
    exporter: { protocol: 'grpc', endpoint: receiver.endpoint },
    handleSignals: false,
    logs: true
  })
  app.post('/refunds/:id', async (request) => {
    request.log.info({ orderId: request.params.id, amount: 12.5, items: [1, 2] }, 'refund requested')
    await withSpan('refund.process', {}, async () => {
      request.log.warn('gateway slow')
    })
    return 'ok'
  })
  const res = await app.inject({ method: 'POST', url: '/refunds/ord-1', headers: { traceparent: sampledParent } })
  assert.equal(res.statusCode, 200)
  await app.otel.forceFlush()
  const spans = await receiver.waitFor((all) => all.length === 2)
  const records = await receiver.waitForLogs((all) => all.some((r) => r.body === 'request completed'))
  const server = spans.find((s) => s.name === 'POST /refunds/:id')
  const child = spans.find((s) => s.name === 'refund.process')

  const requested = records.find((r) => r.body === 'refund requested')
  assert.equal(requested.traceId, INBOUND_TRACE_ID)
  assert.equal(requested.spanId, server.spanId)
  assert.equal(requested.flags & 0xff, 1)
  assert.equal(requested.severityNumber, 9)
  assert.equal(requested.severityText, 'info')
  assert.equal(requested.attributes.orderId, 'ord-1')
  assert.equal(requested.attributes.amount, 12.5)
  assert.deepEqual(requested.attributes.items, [1, 2])
  assert.equal(requested.attributes.reqId, 'req-1')
  assert.ok(requested.timeUnixNano > 0n && requested.observedTimeUnixNano >= requested.timeUnixNano)
  const slow = records.find((r) => r.body === 'gateway slow')
  assert.equal(slow.spanId, child.spanId)
  assert.equal(slow.severityNumber, 13)
  // Every record of the request is in the trace of its spans; the resource is the spans'.
  const inTrace = records.filter((r) => r.traceId !== '')
  assert.deepEqual([...new Set(inTrace.map((r) => r.traceId))], [server.traceId])
  for (const record of records) assert.deepEqual(record.resource, server.resource)
  assert.equal(requested.resource['service.version'], '1.2.3')
  assert.equal(requested.scope.name, 'fastify-otel-kit')
  assert.deepEqual(records.find((r) => r.body === 'request completed').attributes.res, { statusCode: 200 })
  assert.deepEqual(app.otel.stats().logs, { created: 4, queued: 0, exported: 4, dropped: 0, failed: 0, retries: 0 })
})

test(
  'the collector is down: the queue keeps what it can hold, delivers it when the collector is back, ' +
    'and counts the drops',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    const logs = logCapture()
    const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
    t.after(async () => {
      await app.close()
      await receiver.stop()
    })
    await app.register(otelPlugin, {
      serviceName: 'down',
      exporter: {
        protocol: 'grpc',
        endpoint: receiver.endpoint,
        retry: { maxAttempts: 30, initialBackoffMillis: 100, maxBackoffMillis: 500 }
      },
      handleSignals: false,
      logs: { batch: { maxQueueSize: 50, maxExportBatchSize: 10, scheduledDelayMillis: 50 } }
    })
    await receiver.stop()
    for (let i = 0; i < 100; i++) app.log.info({ i }, `line ${i}`)
    // 10 taken into the first export (failing, retried), 50 queued behind it, 40 dropped.
    assert.deepEqual(app.otel.stats().logs, {
      created: 100,
      queued: 60,
      exported: 0,
      dropped: 40,
      failed: 0,
      retries: 0
    })
    // A real outage: the first export has failed and is waiting to be retried.
    while (app.otel.stats().logs.retries === 0) await delay(20)
    assert.equal(app.otel.stats().logs.queued, 60)
    await receiver.restart()
    await receiver.waitForLogs((all) => all.length >= 60, 20_000)
    await app.otel.forceFlush()
    const stats = app.otel.stats().logs
    assert.equal(stats.exported, 60)
    assert.equal(stats.dropped, 40)
    assert.equal(stats.failed, 0)
    assert.ok(stats.retries > 0)
    // What arrived is what the queue held: the first 60 lines, each once.
    assert.deepEqual(
      receiver.logs.map((r) => r.attributes.i).sort((a, b) => a - b),
      Array.from({ length: 60 }, (_, i) => i)
    )
    await app.close()
    // Every dropped record is in exactly one warning, none of which was itself exported.
    const dropped = logs.lines
      .filter((l) => l.code === 'FOK_WARN_LOGS_DROPPED')
      .map((l) => Number(/dropped (\d+) log record/.exec(l.msg)[1]))
    assert.equal(
      dropped.reduce((a, b) => a + b, 0),
      40
    )
    assert.ok(!receiver.logs.some((r) => String(r.body).includes('fastify-otel-kit')))
  }
)

test(
  'SIGTERM: every queued log record is delivered before the process exits with code 0',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const fixture = fileURLToPath(new URL('../fixtures/logs-signal-app.mjs', import.meta.url))
    const child = spawn(process.execPath, [fixture, receiver.endpoint, '5'], { stdio: ['ignore', 'pipe', 'pipe'] })
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
    // Five requests, each with incoming, working and completed lines: all still queued.
    assert.ok(out.includes('queued 15'), out)
    assert.equal(receiver.logs.length, 0)
    child.kill('SIGTERM')
    const [code, signal] = await exited
    assert.equal(signal, null, err)
    assert.equal(code, 0, err)
    assert.equal(receiver.logs.filter((r) => r.body === 'working').length, 5)
    assert.equal(receiver.logs.filter((r) => r.body === 'request completed').length, 5)
    assert.equal(receiver.spans.length, 5)
    const spanIds = new Set(receiver.spans.map((s) => s.spanId))
    for (const record of receiver.logs.filter((r) => r.body === 'working')) assert.ok(spanIds.has(record.spanId))
  }
)

test(
  'the preload entry with OTEL_LOGS_EXPORTER=otlp: log export set up from the environment, the Fastify lines and the ' +
    "Logs API beside instrumentation-http's spans",
  { timeout: 60_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const child = fork(fileURLToPath(new URL('../fixtures/preload/logs-service.mjs', import.meta.url)), [], {
      execArgv: ['--import', 'fastify-otel-kit/register'],
      env: {
        ...process.env,
        OTEL_SERVICE_NAME: 'preloaded',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_LOGS_EXPORTER: 'otlp'
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    t.after(() => child.kill())
    const [ready] = await once(child, 'message')
    assert.deepEqual(ready.logs, { value: true, source: 'env', env: 'OTEL_LOGS_EXPORTER' })
    const { traceId } = await (await fetch(`http://127.0.0.1:${ready.port}/orders/7`)).json()
    child.send('finish')
    await once(child, 'exit')
    const server = receiver.spans.find((s) => s.traceId === traceId && s.kind === 2)
    assert.equal(server.scope.name, '@opentelemetry/instrumentation-http')
    const read = receiver.logs.find((r) => r.body === 'order read')
    assert.equal(read.traceId, traceId)
    assert.equal(read.spanId, server.spanId)
    assert.equal(read.resource['service.name'], 'preloaded')
    const api = receiver.logs.find((r) => r.body === 'from the Logs API')
    assert.equal(api.spanId, server.spanId)
    assert.equal(api.scope.name, 'orders-library')
    // With instrumentation-http's SERVER span active from the start, even "incoming request" is in the trace.
    assert.equal(receiver.logs.find((r) => r.body === 'incoming request').traceId, traceId)
  }
)

test(
  "a record written in a worker task comes home with the reply and carries the worker span's ids, " +
    "the service's resource and the thread id",
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    const pool = new Piscina({
      filename: fileURLToPath(new URL('../fixtures/logging-worker.mjs', import.meta.url)),
      maxThreads: 1
    })
    const app = Fastify({ logger: { level: 'info', stream: { write () {} } } })
    t.after(async () => {
      await app.close()
      await pool.destroy()
      await receiver.stop()
    })
    await app.register(otelPlugin, {
      serviceName: 'worker-logs',
      exporter: { protocol: 'grpc', endpoint: receiver.endpoint },
      handleSignals: false,
      logs: true
    })
    app.post('/orders/:id/receipt', async (request) => ({
      ...(await runInWorker(pool, { id: request.params.id, waitMillis: Number(request.query.wait ?? 1) })),
      traceId: request.otel.traceId
    }))
    const first = (await app.inject({ method: 'POST', url: '/orders/1/receipt' })).json()
    // The first task's late line (5 ms after its reply) is written while this one runs (50 ms).
    const second = (await app.inject({ method: 'POST', url: '/orders/2/receipt?wait=50' })).json()
    await app.otel.forceFlush()
    const spans = await receiver.waitFor((all) => all.filter((s) => s.name === 'receipt.render').length === 2)
    const records = await receiver.waitForLogs((all) => all.some((r) => r.body === 'late line of 1'))

    const rendered = records.find((r) => r.body === 'receipt rendered' && r.traceId === first.traceId)
    assert.equal(rendered.spanId, first.renderSpanId)
    assert.equal(rendered.severityNumber, 13)
    assert.equal(rendered.severityText, 'warn')
    assert.deepEqual(rendered.attributes.layout, { paper: 'A4' })
    assert.equal(rendered.attributes.pages, 2)
    assert.equal(typeof rendered.attributes['thread.id'], 'number')
    assert.deepEqual(rendered.scope, { name: 'receipts', version: '2.0.0' })
    assert.equal(rendered.resource['service.name'], 'worker-logs')
    assert.deepEqual(rendered.resource, spans[0].resource)
    // Written in the task before any span of its own: the task span's ids.
    const started = records.find((r) => r.body === 'task started' && r.traceId === first.traceId)
    const taskSpan = spans.find((s) => s.name.startsWith('worker.task') && s.traceId === first.traceId)
    assert.equal(started.spanId, taskSpan.spanId)
    assert.equal(started.attributes['order.id'], '1')
    // The first task's late line came home with the second task's reply, in its own trace.
    const late = records.find((r) => r.body === 'late line of 1')
    assert.equal(late.traceId, first.traceId)
    assert.equal(
      records.find((r) => r.body === 'receipt rendered' && r.traceId === second.traceId).spanId,
      second.renderSpanId
    )
    // The records' times are within their trace.
    const request = spans.find((s) => s.traceId === first.traceId && s.kind === 2)
    assert.ok(
      started.timeUnixNano >= request.startTimeUnixNano - 1_000_000n &&
        started.timeUnixNano <= request.endTimeUnixNano + 1_000_000n
    )
  }
)
