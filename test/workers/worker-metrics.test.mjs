// Metrics recorded with the Metrics API in a worker thread reach the main thread's MeterProvider,
// as spans and log records do: sampled tasks, unsampled ones and tasks outside any trace alike,
// with the main thread's views and temporality; and spans lost in a worker are in the SDK's health.
import { context, trace } from '@opentelemetry/api'
import { lostWorkerSpans, runInWorker } from 'fastify-otel-kit/workers'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { tracedApp } from '../helpers.mjs'

const metricsWorker = fileURLToPath(new URL('../fixtures/metrics-worker.mjs', import.meta.url))
const edgeWorker = fileURLToPath(new URL('../fixtures/edge-worker.mjs', import.meta.url))

/** Collects until `predicate` holds (the measurements come on a channel, a few turns after the reply). */
async function until (reader, predicate) {
  for (let i = 0; i < 5000; i++) {
    const metrics = await reader.metrics()
    if (predicate(metrics)) return metrics
    await nextTurn()
  }
  assert.fail('the worker metrics never arrived')
}

const points = (metric) => (metric?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value }))

test('sampled, unsampled and untraced tasks: their counters, histograms, up-down ' +
  'counters and gauges arrive', async (t) => {
  const { metrics: reader } = await tracedApp(t, { options: { sampler: 'parentbased_always_on' } })
  const pool = new Piscina({ filename: metricsWorker, maxThreads: 2 })
  t.after(() => pool.destroy())
  const tracer = trace.getTracer('test')
  await tracer.startActiveSpan('sampled caller', async (span) => {
    await runInWorker(pool, { kind: 'pdf', size: 120 })
    span.end()
  })
  // An unsampled caller: the task's result travels untouched, its measurements still come home.
  const notSampled = trace.setSpanContext(context.active(), {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 0,
    isRemote: true
  })
  assert.equal(await context.with(notSampled, () => runInWorker(pool, { kind: 'pdf', size: 2000 })), 'receipt 2000')
  await runInWorker(pool, { kind: 'html', size: 50 })

  const metrics = await until(reader, (m) => points(m.get('receipts.rendered')).reduce((n, p) => n + p.value, 0) === 3)
  const rendered = metrics.get('receipts.rendered')
  assert.equal(rendered.descriptor.description, 'receipts rendered')
  assert.deepEqual(
    points(rendered).sort((a, b) => a.attributes.kind.localeCompare(b.attributes.kind)),
    [
      { attributes: { kind: 'html' }, value: 1 },
      { attributes: { kind: 'pdf' }, value: 2 }
    ]
  )
  const size = points(metrics.get('receipts.size')).find((p) => p.attributes.kind === 'pdf').value
  assert.deepEqual(size.buckets, { boundaries: [100, 1000], counts: [0, 1, 1] })
  assert.equal(size.sum, 2120)
  assert.equal(metrics.get('receipts.size').descriptor.unit, 'By')
  assert.deepEqual(points(metrics.get('receipts.queued')), [{ attributes: {}, value: 0 }])
  assert.equal(points(metrics.get('worker.temperature'))[0].value, 5)
  // The scope the worker's meter named.
  const { resourceMetrics } = await reader.collect()
  assert.ok(resourceMetrics.scopeMetrics.some((s) => s.scope.name === 'receipts' && s.scope.version === '1.0.0'))
})

test('spans lost with a worker are in otel.sdk.processor.span.processed, as in stats()', async (t) => {
  const { app, metrics: reader } = await tracedApp(t)
  const pool = new Piscina({ filename: edgeWorker, maxThreads: 1 })
  await trace.getTracer('test').startActiveSpan('caller', async (span) => {
    assert.equal(await runInWorker(pool, {}, { name: 'lateSpan' }), 'replied')
    span.end()
  })
  await pool.destroy()
  assert.equal(lostWorkerSpans().stopped, 1)
  const processed = points((await reader.metrics()).get('otel.sdk.processor.span.processed')).filter(
    (p) => p.attributes['otel.component.type'] === 'worker_span_relay'
  )
  assert.deepEqual(processed, [
    {
      attributes: {
        'otel.component.type': 'worker_span_relay',
        'otel.component.name': 'worker_span_relay/0',
        'error.type': 'stopped'
      },
      value: 1
    }
  ])
  assert.equal(app.otel.stats().lostInWorkers, 1)
})
