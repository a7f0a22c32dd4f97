// app.otel.forceFlush() answers for what it was asked to deliver: it resolves when the exports
// settled (a failed one is counted in stats() and warned about, as outside a flush), and when a
// signal's flush does not finish within the export's timeout (a collector down, the batch still
// being retried) it rejects with one coded error (OtelKitFlushError, FOK_ERR_FLUSH_INCOMPLETE)
// saying per signal what is left and why, instead of OpenTelemetry's array of processor errors.
import Fastify from 'fastify'
import otelPlugin, { OtelKitFlushError } from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { freePort } from '../servers.mjs'

async function tracedApp (t, options) {
  const app = Fastify({ logger: { level: 'info', stream: { write () {} } } })
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'flush',
    handleSignals: false,
    shutdownTimeoutMillis: 500,
    // Off: a cold first request on a busy machine can cross the slow threshold and add a span; these count them.
    lifecycleSpans: 'off',
    ...options
  })
  app.get('/orders/:id', async (request) => {
    request.log.info('loading order')
    return 'ok'
  })
  await app.inject('/orders/1')
  return app
}

test('a receiver that takes everything: the flush resolves and the span is there', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const app = await tracedApp(t, { exporter: { endpoint: receiver.httpEndpoint }, metrics: false })
  await app.otel.forceFlush()
  assert.equal(receiver.spans.length, 1)
})

test('an export that failed and settled: the flush resolves, the span is counted as failed', async (t) => {
  const endpoint = `http://127.0.0.1:${await freePort()}`
  const app = await tracedApp(t, { exporter: { endpoint, retry: false }, metrics: false })
  await app.otel.forceFlush()
  assert.equal(app.otel.stats().failed, 1)
})

test('still retrying when the export timeout runs out: FOK_ERR_FLUSH_INCOMPLETE, per signal, with what is ' +
  'left and the last failure', async (t) => {
  const endpoint = `http://127.0.0.1:${await freePort()}`
  const app = await tracedApp(t, {
    exporter: { endpoint },
    batch: { exportTimeoutMillis: 1000 },
    logs: { batch: { exportTimeoutMillis: 1000 } },
    metrics: false
  })
  const started = performance.now()
  await assert.rejects(app.otel.forceFlush(), (error) => {
    assert.ok(error instanceof OtelKitFlushError, String(error))
    assert.equal(error.code, 'FOK_ERR_FLUSH_INCOMPLETE')
    assert.match(
      error.message,
      /spans: 1 span still queued or being sent \(the last export attempt failed: [^)]*ECONNREFUSED[^)]*\)/
    )
    assert.match(error.message, /log records: \d+ log records? still queued or being sent \(the last export attempt/)
    assert.doesNotMatch(error.message, /did not completed/)
    return true
  })
  // The export timeout (1 s) and the quarter second past it, not OpenTelemetry's 30 s.
  assert.ok(performance.now() - started < 5_000, `the flush took ${performance.now() - started} ms`)
})
