// The SDK's health as metrics (otel.sdk.*), counted from the package's own books: they agree with
// app.otel.stats() whenever both are read, through drops (queue full, after shutdown began),
// exports in flight, failed exports, and for log records as for spans.
import { ExportResultCode } from '@opentelemetry/core'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sampledParent, tracedApp, TestMetricReader, unsampledParent } from '../helpers.mjs'

/** An exporter that holds each export until told, then fails or succeeds it. */
function heldExporter () {
  const held = []
  return {
    held,
    export (items, done) {
      held.push({ items, done })
    },
    async shutdown () {},
    settle (code, error) {
      for (const { done } of held.splice(0)) done(code === ExportResultCode.SUCCESS ? { code } : { code, error })
    }
  }
}

/** Turns of the event loop until `predicate` holds (the exporter is called once the resource is settled). */
async function until (predicate) {
  for (let i = 0; i < 10_000 && !predicate(); i++) await new Promise((resolve) => setImmediate(resolve))
  assert.ok(predicate(), 'never happened')
}

/** `{ name -> [{ attributes, value }] }` from one collection. */
async function health (reader) {
  const all = await reader.metrics()
  const out = {}
  for (const [name, metric] of all) {
    if (name.startsWith('otel.sdk.')) {
      out[name] = metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }))
    }
  }
  return out
}

const sum = (points, predicate = () => true) =>
  points.filter((p) => predicate(p.attributes)).reduce((n, p) => n + p.value, 0)

/** The books read as the metrics: every figure of stats() from the otel.sdk.* points. */
function booksFromMetrics (h, signal) {
  const processed = h[`otel.sdk.processor.${signal}.processed`]
  const exported = h[`otel.sdk.exporter.${signal}.exported`]
  const batching = (a) => a['otel.component.type'] === `batching_${signal}_processor`
  return {
    dropped: sum(
      processed,
      (a) => batching(a) && (a['error.type'] === 'queue_full' || a['error.type'] === 'already_shutdown')
    ),
    queued: sum(h[`otel.sdk.processor.${signal}.queue.size`]) + sum(h[`otel.sdk.exporter.${signal}.inflight`]),
    exported: sum(exported, (a) => a['error.type'] === undefined),
    failed:
      sum(exported, (a) => a['error.type'] !== undefined) +
      sum(processed, (a) => batching(a) && a['error.type'] === 'shutdown_timeout'),
    capacity: sum(h[`otel.sdk.processor.${signal}.queue.capacity`])
  }
}

test('spans: processed, queue size and capacity, exported and in flight agree with ' +
  'stats() at every step', async (t) => {
  const exporter = heldExporter()
  const reader = new TestMetricReader()
  const { app } = await tracedApp(t, {
    options: {
      exporter,
      batch: { maxQueueSize: 4, maxExportBatchSize: 2, scheduledDelayMillis: 60_000 },
      metrics: { exporter: 'none', readers: [reader], runtime: false }
    }
  })
  app.get('/', async () => 'ok')
  const check = async (label) => {
    const stats = app.otel.stats()
    const h = await health(reader)
    const books = booksFromMetrics(h, 'span')
    assert.deepEqual(
      books,
      { dropped: stats.dropped, queued: stats.queued, exported: stats.exported, failed: stats.failed, capacity: 4 },
      label
    )
    // Every created span is processed (handed to the exporter), dropped, or waiting.
    const processed = h['otel.sdk.processor.span.processed']
    assert.equal(
      sum(processed, (a) => a['otel.component.type'] === 'batching_span_processor') +
        sum(h['otel.sdk.processor.span.queue.size']),
      stats.created,
      label
    )
    return h
  }
  const before = await check('nothing yet')
  // The failure an outage gives is a series from the start, at zero (an alert's rate over it sees
  // the first failed batch), as the processor's queue_full is.
  const transient = before['otel.sdk.exporter.span.exported'].filter((p) => p.attributes['error.type'] === 'transient')
  assert.deepEqual(transient.map((p) => p.value), [0])
  for (let i = 0; i < 2; i++) await app.inject({ url: '/', headers: { traceparent: sampledParent } })
  // A full batch went to the exporter, which holds it: in flight.
  await until(() => exporter.held.length === 1)
  let h = await check('a batch in flight')
  assert.equal(sum(h['otel.sdk.exporter.span.inflight']), 2)
  for (let i = 0; i < 7; i++) await app.inject({ url: '/', headers: { traceparent: sampledParent } })
  h = await check('the queue overflowed')
  assert.ok(sum(h['otel.sdk.processor.span.processed'], (a) => a['error.type'] === 'queue_full') > 0)
  exporter.settle(ExportResultCode.FAILED, new Error('refused'))
  await until(() => app.otel.stats().failed === 2)
  h = await check('the batch failed')
  assert.equal(
    sum(h['otel.sdk.exporter.span.exported'], (a) => a['error.type'] === 'permanent'),
    2
  )
  // The next full batch goes out as the failed one settles.
  await until(() => exporter.held.length === 1)
  exporter.settle(ExportResultCode.SUCCESS)
  await until(() => app.otel.stats().exported === 2)
  await check('a later batch went through')

  // Spans started, by parent origin and sampling result; none live once ended.
  await app.inject({ url: '/', headers: { traceparent: unsampledParent } })
  await app.inject({ url: '/' })
  h = await health(reader)
  const started = h['otel.sdk.span.started']
  assert.ok(
    sum(
      started,
      (a) => a['otel.span.parent.origin'] === 'remote' && a['otel.span.sampling_result'] === 'RECORD_AND_SAMPLE'
    ) >= 9
  )
  assert.equal(
    sum(started, (a) => a['otel.span.parent.origin'] === 'remote' && a['otel.span.sampling_result'] === 'DROP'),
    1
  )
  assert.equal(
    sum(
      started,
      (a) => a['otel.span.parent.origin'] === 'none' && a['otel.span.sampling_result'] === 'RECORD_AND_SAMPLE'
    ),
    1
  )
  assert.equal(sum(h['otel.sdk.span.live']), 0)
})

test('a span still running is live; the export operation duration is recorded per batch', async (t) => {
  const reader = new TestMetricReader()
  const { app } = await tracedApp(t, {
    options: {
      metrics: { exporter: 'none', readers: [reader], runtime: false },
      batch: { maxExportBatchSize: 1, maxQueueSize: 8 }
    }
  })
  let release
  const held = new Promise((resolve) => {
    release = resolve
  })
  let entered
  const inside = new Promise((resolve) => {
    entered = resolve
  })
  app.get('/hold', async () => {
    entered()
    await held
    return 'ok'
  })
  const pending = app.inject({ url: '/hold' })
  await inside
  let h = await health(reader)
  assert.deepEqual(
    h['otel.sdk.span.live'].find((p) => p.attributes['otel.span.sampling_result'] === 'RECORD_AND_SAMPLE').value,
    1
  )
  release()
  await pending
  await app.otel.forceFlush()
  h = await health(reader)
  assert.equal(sum(h['otel.sdk.span.live']), 0)
  const durations = (await reader.metrics()).get('otel.sdk.exporter.operation.duration')
  assert.equal(durations.descriptor.unit, 's')
  assert.ok(durations.dataPoints.reduce((n, p) => n + p.value.count, 0) >= 1)
})

test('log records: created, processed, queue, exported agree with stats().logs', async (t) => {
  const logExporter = heldExporter()
  const reader = new TestMetricReader()
  const { app } = await tracedApp(t, {
    options: {
      logs: { exporter: logExporter, batch: { maxQueueSize: 3, maxExportBatchSize: 2, scheduledDelayMillis: 60_000 } },
      metrics: { exporter: 'none', readers: [reader], runtime: false }
    }
  })
  app.get('/', async (request) => {
    for (let i = 0; i < 4; i++) request.log.info({ i }, 'line')
    return 'ok'
  })
  await app.inject({ url: '/' })
  await until(() => logExporter.held.length === 1)
  const stats = app.otel.stats().logs
  const h = await health(reader)
  assert.deepEqual(booksFromMetrics(h, 'log'), {
    dropped: stats.dropped,
    queued: stats.queued,
    exported: stats.exported,
    failed: stats.failed,
    capacity: 3
  })
  assert.equal(sum(h['otel.sdk.log.created']), stats.created)
  assert.ok(stats.dropped > 0, 'the small queue dropped some')
  logExporter.settle(ExportResultCode.SUCCESS)
})
