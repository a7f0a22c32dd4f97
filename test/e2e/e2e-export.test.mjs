// End to end over the wire: the real OTLP/gRPC exporter against a real receiver on loopback.
import Fastify from 'fastify'
import otelPlugin, { withSpan } from 'fastify-otel-kit'
import { runInWorker } from 'fastify-otel-kit/workers'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { logCapture, sampledParent, withEnv } from '../helpers.mjs'

const tls = (name) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url))
const plainWorker = fileURLToPath(new URL('../fixtures/plain-worker.mjs', import.meta.url))
const KIND = { INTERNAL: 1, SERVER: 2 }
const STATUS = { UNSET: 0, OK: 1, ERROR: 2 }

/** A receiver and an app exporting to it; both closed after the test. */
async function pipeline (t, { receiver: receiverOptions = {}, exporter = {}, options = {} } = {}) {
  const receiver = await OtlpReceiver.start(receiverOptions)
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  t.after(async () => {
    await app.close()
    await receiver.stop()
  })
  await app.register(otelPlugin, {
    serviceName: 'payment-processor',
    handleSignals: false,
    shutdownTimeoutMillis: 2000,
    // Off: a handler crossing the slow threshold on a busy machine would add a span; these count them.
    lifecycleSpans: 'off',
    // Span export only: a metrics export would take the failures the receiver is told to give.
    metrics: false,
    exporter: {
      protocol: 'grpc',
      endpoint: receiver.endpoint,
      retry: { initialBackoffMillis: 10, maxBackoffMillis: 50 },
      ...exporter
    },
    ...options
  })
  app.get('/ping/:n', async () => 'pong')
  return { receiver, app, logs }
}

test('what arrives on the wire: resource, the whole span tree, kinds, attributes, statuses, events', async (t) => {
  const workers = new Piscina({ filename: plainWorker, maxThreads: 1 })
  t.after(() => workers.destroy())
  const { receiver, app } = await pipeline(t, {
    options: { serviceVersion: '1.4.2', deploymentEnvironment: 'staging', resourceAttributes: { team: 'payments' } }
  })
  app.post('/refunds/:orderId', async (request) =>
    withSpan(
      'refund.process',
      {
        'order.id': request.params.orderId,
        'payment.amount': 49.99,
        'payment.currency': 'USD'
      },
      async () => runInWorker(workers, { id: request.params.orderId })
    )
  )
  app.get('/fail', async () => {
    throw new Error('gateway timeout')
  })
  await app.inject({ method: 'POST', url: '/refunds/ord-7421', headers: { traceparent: sampledParent } })
  await app.inject({ url: '/fail' })
  await app.otel.forceFlush()
  const spans = await receiver.waitFor((all) => all.length >= 7)
  const byName = (name) => spans.find((s) => s.name === name)

  const request = byName('POST /refunds/:orderId')
  const refund = byName('refund.process')
  const dispatch = byName('worker.dispatch plain-worker')
  const task = byName('worker.task plain-worker')
  const render = byName('receipt.render')
  const hash = byName('receipt.hash')
  assert.equal(request.traceId, sampledParent.split('-')[1])
  assert.equal(request.parentSpanId, sampledParent.split('-')[2])
  assert.equal(refund.parentSpanId, request.spanId)
  assert.equal(dispatch.parentSpanId, refund.spanId)
  assert.equal(task.parentSpanId, dispatch.spanId)
  assert.equal(render.parentSpanId, task.spanId)
  assert.equal(hash.parentSpanId, render.spanId)
  for (const span of [refund, dispatch, task, render, hash]) assert.equal(span.traceId, request.traceId)

  assert.equal(request.kind, KIND.SERVER)
  assert.equal(refund.kind, KIND.INTERNAL)
  assert.equal(request.attributes['http.route'], '/refunds/:orderId')
  assert.equal(request.attributes['http.response.status_code'], 200)
  assert.deepEqual(refund.attributes, { 'order.id': 'ord-7421', 'payment.amount': 49.99, 'payment.currency': 'USD' })
  assert.equal(refund.status.code, STATUS.OK)
  assert.equal(task.status.code, STATUS.OK)
  assert.equal(typeof render.attributes['thread.id'], 'number')

  for (const span of spans) {
    assert.equal(span.resource['service.name'], 'payment-processor')
    assert.equal(span.resource['service.version'], '1.4.2')
    assert.equal(span.resource['deployment.environment.name'], 'staging')
    assert.equal(span.resource.team, 'payments')
    assert.equal(span.resource['telemetry.sdk.language'], 'nodejs')
    assert.equal(typeof span.resource['host.name'], 'string')
  }
  const failed = byName('GET /fail')
  assert.equal(failed.status.code, STATUS.ERROR)
  assert.equal(failed.attributes['error.type'], 'Error')
  assert.equal(failed.events[0].name, 'exception')
  assert.equal(failed.events[0].attributes['exception.message'], 'gateway timeout')
  assert.ok(failed.endTimeUnixNano >= failed.startTimeUnixNano)
})

test('UNAVAILABLE twice, then success: every span arrives exactly once, two retries counted', async (t) => {
  const { receiver, app } = await pipeline(t)
  receiver.failNext({ code: 14 }, { code: 14 })
  for (let i = 0; i < 3; i++) await app.inject({ url: `/ping/${i}` })
  await app.otel.forceFlush()
  await receiver.waitFor((all) => all.length === 3)
  assert.equal(new Set(receiver.spans.map((s) => s.spanId)).size, 3)
  assert.deepEqual(
    receiver.exports.map((e) => e.code),
    [14, 14, 0]
  )
  assert.deepEqual(app.otel.stats(), {
    created: 3,
    queued: 0,
    exported: 3,
    dropped: 0,
    failed: 0,
    retries: 2,
    lostInWorkers: 0
  })
})

test('INVALID_ARGUMENT: that batch is dropped and counted, not retried; the next batch goes through', async (t) => {
  const { receiver, app, logs } = await pipeline(t)
  receiver.failNext({ code: 3, message: 'bad spans' })
  await app.inject({ url: '/ping/1' })
  await app.otel.forceFlush()
  await app.inject({ url: '/ping/2' })
  await app.otel.forceFlush()
  assert.deepEqual(
    receiver.exports.map((e) => e.code),
    [3, 0]
  )
  assert.equal(receiver.spans.length, 1)
  assert.deepEqual(app.otel.stats(), {
    created: 2,
    queued: 0,
    exported: 1,
    dropped: 0,
    failed: 1,
    retries: 0,
    lostInWorkers: 0
  })
  assert.ok(logs.messages().some((m) => /could not export 1 span\(s\) to the collector: .*bad spans/.test(m)))
})

test('RESOURCE_EXHAUSTED is retried only when the server says when (RetryInfo)', async (t) => {
  const { receiver, app } = await pipeline(t)
  receiver.failNext({ code: 8 })
  await app.inject({ url: '/ping/1' })
  await app.otel.forceFlush()
  assert.equal(app.otel.stats().failed, 1)
  receiver.failNext({ code: 8, retryDelayMillis: 20 })
  await app.inject({ url: '/ping/2' })
  await app.otel.forceFlush()
  assert.deepEqual(
    receiver.exports.map((e) => e.code),
    [8, 8, 0]
  )
  assert.deepEqual(app.otel.stats(), {
    created: 2,
    queued: 0,
    exported: 1,
    dropped: 0,
    failed: 1,
    retries: 1,
    lostInWorkers: 0
  })
})

test('a partial success is not retried', async (t) => {
  const { receiver, app } = await pipeline(t)
  receiver.respondPartially(1, 'one span too large')
  await app.inject({ url: '/ping/1' })
  await app.otel.forceFlush()
  assert.equal(receiver.exports.length, 1)
  assert.equal(app.otel.stats().retries, 0)
})

test(
  'receiver down: the service keeps answering, the queue stays bounded, drops are counted; back up: export resumes',
  { timeout: 60_000 },
  async (t) => {
    const { receiver, app } = await pipeline(t, {
      exporter: { retry: { maxAttempts: 2, initialBackoffMillis: 10, maxBackoffMillis: 10 }, timeoutMillis: 1000 },
      options: {
        batch: { maxQueueSize: 20, maxExportBatchSize: 10, scheduledDelayMillis: 60_000, exportTimeoutMillis: 3000 }
      }
    })
    await receiver.stop()
    for (let i = 0; i < 60; i++) {
      const res = await app.inject({ url: `/ping/${i}` })
      assert.equal(res.statusCode, 200)
      const stats = app.otel.stats()
      // Bounded: the queue (20) plus the one batch being exported (10). The books balance throughout.
      assert.ok(stats.queued <= 30, `queued ${stats.queued}`)
      assert.equal(stats.created, stats.exported + stats.dropped + stats.failed + stats.queued)
    }
    await app.otel.forceFlush()
    const down = app.otel.stats()
    assert.equal(down.exported, 0)
    assert.ok(down.dropped > 0, 'nothing was dropped although the queue was full')
    assert.equal(down.dropped + down.failed + down.queued, 60)

    await receiver.restart()
    await app.inject({ url: '/ping/after' })
    // gRPC reconnects with its own backoff; flush until the span made after the restart arrives.
    while (!receiver.spans.some((s) => s.attributes['url.path'] === '/ping/after')) {
      await app.inject({ url: '/ping/after' })
      await app.otel.forceFlush()
    }
    assert.ok(app.otel.stats().exported >= 1)
  }
)

test('TLS: an https:// endpoint with the test CA receives the spans', async (t) => {
  const { receiver, app } = await pipeline(t, {
    receiver: { tls: { cert: readFileSync(tls('server.pem')), key: readFileSync(tls('server.key')) } },
    exporter: { certificateFile: tls('ca.pem'), compression: 'gzip' }
  })
  assert.match(receiver.endpoint, /^https:\/\/localhost:\d+$/)
  await app.inject({ url: '/ping/tls' })
  await app.otel.forceFlush()
  await receiver.waitFor((all) => all.length === 1)
  assert.equal(app.otel.stats().exported, 1)
})

test('TLS without the CA: the export fails (untrusted certificate), is counted, the service is unharmed', async (t) => {
  const { receiver, app } = await pipeline(t, {
    receiver: { tls: { cert: readFileSync(tls('server.pem')), key: readFileSync(tls('server.key')) } },
    exporter: { retry: false, timeoutMillis: 2000 }
  })
  const res = await app.inject({ url: '/ping/untrusted' })
  assert.equal(res.statusCode, 200)
  await app.otel.forceFlush()
  assert.equal(receiver.spans.length, 0)
  assert.equal(app.otel.stats().failed, 1)
})

test('TLS and port mistakes over gRPC are named in the failure: an untrusted certificate, a wrong CA, ' +
  'a client certificate required, an OTLP/HTTP port', async (t) => {
  const serverTls = { cert: readFileSync(tls('server.pem')), key: readFileSync(tls('server.key')) }
  const failureOf = async (t, receiverOptions, exporter) => {
    const { app, logs } = await pipeline(t, { receiver: receiverOptions, exporter: { retry: false, ...exporter } })
    await app.inject({ url: '/ping/mistake' })
    await app.otel.forceFlush()
    assert.equal(app.otel.stats().failed, 1)
    return logs.lines.find((l) => l.code === 'FOK_WARN_EXPORT_FAILED')?.msg ?? ''
  }
  await t.test('no CA named', async (t) => {
    assert.match(await failureOf(t, { tls: serverTls }, {}), /certificate is not trusted: name its CA/)
  })
  await t.test('a CA named that did not sign it', async (t) => {
    const message = await failureOf(t, { tls: serverTls }, { certificateFile: tls('client.pem') })
    assert.match(message, /does not verify against the CA file named \(exporter\.certificateFile/)
  })
  await t.test('mutual TLS without a client certificate', async (t) => {
    const mutual = { tls: { ...serverTls, clientCa: readFileSync(tls('ca.pem')) } }
    const message = await failureOf(t, mutual, { certificateFile: tls('ca.pem') })
    assert.match(message, /requires a client certificate \(mutual TLS\)/)
  })
  await t.test('gRPC to the OTLP/HTTP port', async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const message = await failureOf(t, {}, { endpoint: receiver.httpEndpoint })
    assert.match(message, /did not answer in HTTP\/2 gRPC: is it an OTLP\/HTTP port \(4318\)/)
  })
})

test('a gRPC endpoint written host:port: plaintext with insecure (option or variable), TLS without', async (t) => {
  const hostPort = (receiver) => receiver.endpoint.replace(/^\w+:\/\//, '')
  const plain = await OtlpReceiver.start()
  t.after(() => plain.stop())

  await t.test('insecure: true in the options: plaintext', async (t) => {
    const { app } = await pipeline(t, { exporter: { endpoint: hostPort(plain), insecure: true } })
    assert.equal(app.otel.config.exporter.endpoint.value, hostPort(plain))
    await app.inject({ url: '/ping/plaintext' })
    await app.otel.forceFlush()
    await plain.waitFor((all) => all.length === 1)
    assert.equal(app.otel.stats().exported, 1)
  })

  await t.test('OTEL_EXPORTER_OTLP_INSECURE=true with the endpoint from the environment: plaintext', async (t) => {
    withEnv(t, { OTEL_EXPORTER_OTLP_ENDPOINT: hostPort(plain), OTEL_EXPORTER_OTLP_INSECURE: 'true' })
    const { app } = await pipeline(t, { exporter: { endpoint: undefined } })
    assert.equal(app.otel.config.exporter.insecure.source, 'env')
    await app.inject({ url: '/ping/plaintext-env' })
    await app.otel.forceFlush()
    await plain.waitFor((all) => all.length === 2)
  })

  await t.test('without insecure: TLS, which a plaintext receiver cannot take (failed, counted)', async (t) => {
    const exporter = { endpoint: hostPort(plain), retry: false, timeoutMillis: 2000 }
    const { app } = await pipeline(t, { exporter })
    await app.inject({ url: '/ping/tls-to-plaintext' })
    await app.otel.forceFlush()
    assert.equal(plain.spans.length, 2)
    assert.equal(app.otel.stats().failed, 1)
  })

  await t.test('without insecure, to a TLS receiver with its CA named: received', async (t) => {
    const receiver = await OtlpReceiver.start({
      tls: { cert: readFileSync(tls('server.pem')), key: readFileSync(tls('server.key')) }
    })
    t.after(() => receiver.stop())
    const { app } = await pipeline(t, { exporter: { endpoint: hostPort(receiver), certificateFile: tls('ca.pem') } })
    await app.inject({ url: '/ping/tls-host-port' })
    await app.otel.forceFlush()
    await receiver.waitFor((all) => all.length === 1)
    assert.equal(app.otel.stats().exported, 1)
  })
})

test('headers: accepted with the required authorization, rejected without, and the value never logged', async (t) => {
  const secret = 'Bearer s3cret-token-123'
  const required = { requiredHeaders: { authorization: secret } }
  const withKey = await pipeline(t, { receiver: required, exporter: { headers: { authorization: secret } } })
  await withKey.app.inject({ url: '/ping/1' })
  await withKey.app.otel.forceFlush()
  assert.equal(withKey.receiver.spans.length, 1)
  assert.equal(withKey.receiver.exports[0].headers.authorization, secret)
  await withKey.app.close()

  process.env.OTEL_EXPORTER_OTLP_HEADERS = 'authorization=Bearer%20wrong-env-key'
  t.after(() => {
    delete process.env.OTEL_EXPORTER_OTLP_HEADERS
  })
  const withoutKey = await pipeline(t, { receiver: required, exporter: { headers: { authorization: secret } } })
  await withoutKey.app.inject({ url: '/ping/2' })
  await withoutKey.app.otel.forceFlush()
  assert.equal(withoutKey.receiver.spans.length, 0)
  assert.deepEqual(
    withoutKey.receiver.exports.map((e) => e.code),
    [16]
  )
  assert.equal(withoutKey.app.otel.stats().failed, 1)
  for (const { logs } of [withKey, withoutKey]) {
    for (const line of logs.lines) assert.doesNotMatch(JSON.stringify(line), /s3cret|wrong-env-key/)
  }
  assert.ok(
    withoutKey.logs
      .messages()
      .some((m) =>
        m.includes('OTEL_EXPORTER_OTLP_HEADERS overrides option exporter.headers["authorization"]: using [REDACTED]')
      )
  )
})
