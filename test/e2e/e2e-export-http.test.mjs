// End to end over OTLP/HTTP, protobuf and JSON: the package's exporter against a real receiver on
// loopback, with the guarantees the gRPC side has (e2e-export.test.mjs): the OTLP/HTTP retry rules
// (429, 502, 503, 504, Retry-After), permanent failures counted and not retried, a batch refused
// for its size split, partial successes, TLS, credentials, recovery after an outage, books that
// balance throughout, and no secret in any output.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { logCapture } from '../helpers.mjs'

const tls = (name) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url))
const serverTls = () => ({ cert: readFileSync(tls('server.pem')), key: readFileSync(tls('server.key')) })
const CONTENT_TYPE = { 'http/protobuf': 'application/x-protobuf', 'http/json': 'application/json' }

/** A receiver and an app exporting to it over `protocol`; both closed after the test. */
async function pipeline (t, protocol, { receiver: receiverOptions = {}, exporter = {}, options = {} } = {}) {
  const receiver = await OtlpReceiver.start(receiverOptions)
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  t.after(async () => {
    await app.close()
    await receiver.stop()
  })
  await app.register(otelPlugin, {
    serviceName: 'payment-processor',
    // Lifecycle spans off: a cold first request may cross the slow threshold, and this counts spans.
    lifecycleSpans: 'off',
    handleSignals: false,
    shutdownTimeoutMillis: 2000,
    // These tests count span and log exports; metrics have their own (metrics-export.test.mjs).
    metrics: false,
    exporter: {
      protocol,
      endpoint: receiver.httpEndpoint,
      retry: { initialBackoffMillis: 10, maxBackoffMillis: 50 },
      ...exporter
    },
    ...options
  })
  app.get('/ping/:n', async () => 'pong')
  return { receiver, app, logs }
}

const balanced = (stats) => stats.created === stats.exported + stats.dropped + stats.failed + stats.queued

for (const protocol of ['http/protobuf', 'http/json']) {
  describe(`OTLP over ${protocol}`, () => {
    test('what arrives: every span, at /v1/traces, in its content type, with the resource', async (t) => {
      const { receiver, app } = await pipeline(t, protocol)
      for (let i = 0; i < 3; i++) await app.inject({ url: `/ping/${i}` })
      await app.otel.forceFlush()
      await receiver.waitFor((all) => all.length === 3)
      assert.deepEqual(
        receiver.exports.map((e) => [e.transport, e.contentType, e.httpStatus]),
        [['http', CONTENT_TYPE[protocol], 200]]
      )
      assert.deepEqual(receiver.spans.map((s) => s.name).sort(), ['GET /ping/:n', 'GET /ping/:n', 'GET /ping/:n'])
      assert.equal(receiver.spans[0].resource['service.name'], 'payment-processor')
      assert.equal(receiver.spans[0].attributes['http.route'], '/ping/:n')
      assert.deepEqual(app.otel.stats(), {
        created: 3,
        queued: 0,
        exported: 3,
        dropped: 0,
        failed: 0,
        retries: 0,
        lostInWorkers: 0
      })
    })

    for (const status of [502, 503, 504]) {
      test(`${status} twice, then success: every span arrives exactly once, two retries counted`, async (t) => {
        const { receiver, app } = await pipeline(t, protocol)
        receiver.failNext({ httpStatus: status }, { httpStatus: status })
        for (let i = 0; i < 3; i++) await app.inject({ url: `/ping/${i}` })
        await app.otel.forceFlush()
        await receiver.waitFor((all) => all.length === 3)
        assert.equal(new Set(receiver.spans.map((s) => s.spanId)).size, 3)
        assert.deepEqual(
          receiver.exports.map((e) => e.httpStatus),
          [status, status, 200]
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
    }

    test('429 with Retry-After: the retry waits as long as the collector asked, once', async (t) => {
      const { receiver, app } = await pipeline(t, protocol)
      receiver.failNext({ httpStatus: 429, retryAfterSeconds: 1 })
      await app.inject({ url: '/ping/1' })
      const started = performance.now()
      await app.otel.forceFlush()
      const waited = performance.now() - started
      // The backoff would have been 10 ms; the collector asked for a second.
      assert.ok(waited >= 950, `retried after ${Math.round(waited)} ms`)
      assert.deepEqual(
        receiver.exports.map((e) => e.httpStatus),
        [429, 200]
      )
      assert.equal(app.otel.stats().retries, 1)
      assert.equal(app.otel.stats().exported, 1)
    })

    test('429 without Retry-After is retried with backoff, as the specification says', async (t) => {
      const { receiver, app } = await pipeline(t, protocol)
      receiver.failNext({ httpStatus: 429 })
      await app.inject({ url: '/ping/1' })
      await app.otel.forceFlush()
      assert.deepEqual(
        receiver.exports.map((e) => e.httpStatus),
        [429, 200]
      )
      assert.equal(app.otel.stats().exported, 1)
    })

    test('a retryable status on every try: attempts stop at maxAttempts, never more (one retry loop)', async (t) => {
      const { receiver, app } = await pipeline(t, protocol, {
        exporter: { retry: { maxAttempts: 3, initialBackoffMillis: 10, maxBackoffMillis: 10 } }
      })
      receiver.failNext(...Array.from({ length: 10 }, () => ({ httpStatus: 503 })))
      await app.inject({ url: '/ping/1' })
      await app.otel.forceFlush()
      // Upstream's own HTTP transport retries 5 more times inside each of our attempts: 3 x 6 = 18.
      assert.equal(receiver.exports.length, 3)
      assert.deepEqual(app.otel.stats(), {
        created: 1,
        queued: 0,
        exported: 0,
        dropped: 0,
        failed: 1,
        retries: 2,
        lostInWorkers: 0
      })
    })

    test('400: that batch is dropped and counted, not retried; the next batch goes through', async (t) => {
      const { receiver, app, logs } = await pipeline(t, protocol)
      receiver.failNext({ httpStatus: 400, message: 'bad spans' })
      await app.inject({ url: '/ping/1' })
      await app.otel.forceFlush()
      await app.inject({ url: '/ping/2' })
      await app.otel.forceFlush()
      assert.deepEqual(
        receiver.exports.map((e) => e.httpStatus),
        [400, 200]
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
      assert.ok(
        logs.messages().some((m) => /could not export 1 span\(s\) to the collector: HTTP 400 Bad Request \(POST \/v1\/traces\)/.test(m)),
        logs.messages().join('\n')
      )
    })

    test('413: the batch is split in halves until each part is accepted; nothing is lost', async (t) => {
      // A limit a few spans fit under, so that a batch of 16 is refused and its halves are not.
      const { receiver, app } = await pipeline(t, protocol, {
        receiver: { maxReceiveMessageBytes: 6000 },
        options: { batch: { maxExportBatchSize: 16, scheduledDelayMillis: 60_000 } }
      })
      for (let i = 0; i < 16; i++) await app.inject({ url: `/ping/${i}` })
      await app.otel.forceFlush()
      await receiver.waitFor((all) => all.length === 16)
      assert.equal(new Set(receiver.spans.map((s) => s.spanId)).size, 16)
      assert.ok(receiver.exports.length > 1, `${receiver.exports.length} export(s)`)
      const stats = app.otel.stats()
      assert.equal(stats.exported, 16)
      assert.equal(stats.failed, 0)
      assert.ok(balanced(stats))
    })

    test('a partial success is not retried', async (t) => {
      const { receiver, app } = await pipeline(t, protocol)
      receiver.respondPartially(1, 'one span too large')
      await app.inject({ url: '/ping/1' })
      await app.otel.forceFlush()
      assert.equal(receiver.exports.length, 1)
      assert.equal(app.otel.stats().retries, 0)
    })

    test('gzip: the body travels compressed and arrives whole', async (t) => {
      const { receiver, app } = await pipeline(t, protocol, { exporter: { compression: 'gzip' } })
      await app.inject({ url: '/ping/1' })
      await app.otel.forceFlush()
      await receiver.waitFor((all) => all.length === 1)
      assert.deepEqual(
        receiver.exports.map((e) => e.contentEncoding),
        ['gzip']
      )
    })

    test('TLS: an https:// endpoint with the test CA receives the spans; without the CA the export fails, counted', async (t) => {
      const trusted = await pipeline(t, protocol, {
        receiver: { tls: serverTls() },
        exporter: { certificateFile: tls('ca.pem') }
      })
      assert.match(trusted.receiver.httpEndpoint, /^https:\/\/localhost:\d+$/)
      await trusted.app.inject({ url: '/ping/tls' })
      await trusted.app.otel.forceFlush()
      await trusted.receiver.waitFor((all) => all.length === 1)
      assert.equal(trusted.app.otel.stats().exported, 1)
      // One SDK per process: the next app assembles its own once this one is closed.
      await trusted.app.close()

      const untrusted = await pipeline(t, protocol, { receiver: { tls: serverTls() }, exporter: { retry: false } })
      const res = await untrusted.app.inject({ url: '/ping/untrusted' })
      assert.equal(res.statusCode, 200)
      await untrusted.app.otel.forceFlush()
      assert.equal(untrusted.receiver.spans.length, 0)
      assert.equal(untrusted.app.otel.stats().failed, 1)
      assert.ok(
        untrusted.logs.messages().some((m) => m.includes("the collector's certificate is not trusted")),
        untrusted.logs.messages().join('\n')
      )
      await untrusted.app.close()

      // A CA file named, but not the one that signed the collector's certificate.
      const wrongCa = await pipeline(t, protocol, {
        receiver: { tls: serverTls() },
        exporter: { certificateFile: tls('client.pem'), retry: false }
      })
      await wrongCa.app.inject({ url: '/ping/wrong-ca' })
      await wrongCa.app.otel.forceFlush()
      assert.equal(wrongCa.app.otel.stats().failed, 1)
      assert.ok(
        wrongCa.logs.messages().some((m) => m.includes('does not verify against the CA file named')),
        wrongCa.logs.messages().join('\n')
      )
    })

    test('mutual TLS: a receiver that requires a client certificate gets it; without one, nothing ' +
      'arrives', async (t) => {
      const mutual = { tls: { ...serverTls(), clientCa: readFileSync(tls('ca.pem')) } }
      const without = await pipeline(t, protocol, {
        receiver: mutual,
        exporter: { certificateFile: tls('ca.pem'), retry: false }
      })
      await without.app.inject({ url: '/ping/anonymous' })
      await without.app.otel.forceFlush()
      assert.equal(without.receiver.spans.length, 0)
      assert.equal(without.app.otel.stats().failed, 1)
      assert.ok(
        without.logs.messages().some((m) => m.includes('the collector requires a client certificate (mutual TLS)')),
        without.logs.messages().join('\n')
      )
      await without.app.close()

      const { receiver, app } = await pipeline(t, protocol, {
        receiver: mutual,
        exporter: {
          certificateFile: tls('ca.pem'),
          clientKeyFile: tls('client.key'),
          clientCertificateFile: tls('client.pem')
        }
      })
      await app.inject({ url: '/ping/mtls' })
      await app.otel.forceFlush()
      await receiver.waitFor((all) => all.length === 1)
    })

    test('headers: accepted with the required authorization, 401 without (not retried), the value never ' +
      'logged', async (t) => {
      const secret = 'Bearer s3cret-token-123'
      const required = { requiredHeaders: { authorization: secret } }
      const withKey = await pipeline(
        t,
        protocol,
        { receiver: required, exporter: { headers: { authorization: secret } } }
      )
      await withKey.app.inject({ url: '/ping/1' })
      await withKey.app.otel.forceFlush()
      assert.equal(withKey.receiver.spans.length, 1)
      assert.equal(withKey.receiver.exports[0].headers.authorization, secret)
      await withKey.app.close()

      const wrong = await pipeline(t, protocol, {
        receiver: required,
        exporter: { headers: { authorization: 'Bearer wrong-key-456' } }
      })
      await wrong.app.inject({ url: '/ping/2' })
      await wrong.app.otel.forceFlush()
      assert.equal(wrong.receiver.spans.length, 0)
      assert.deepEqual(
        wrong.receiver.exports.map((e) => e.httpStatus),
        [401]
      )
      assert.equal(wrong.app.otel.stats().failed, 1)
      assert.equal(wrong.app.otel.stats().retries, 0)
      for (const { logs } of [withKey, wrong]) {
        for (const line of logs.lines) assert.doesNotMatch(JSON.stringify(line), /s3cret|wrong-key/)
      }
      assert.ok(wrong.logs.messages().some((m) => /HTTP 401 Unauthorized.*check the credentials/.test(m)))
      await wrong.app.close()

      // No header at all (one written 'Authorization: Bearer ...' is skipped): the 401 says none was sent.
      const none = await pipeline(t, protocol, { receiver: required })
      await none.app.inject({ url: '/ping/3' })
      await none.app.otel.forceFlush()
      assert.ok(
        none.logs.messages().some((m) => /HTTP 401 Unauthorized.*no header of exporter\.headers .* was sent/.test(m)),
        none.logs.messages().join('\n')
      )
    })

    test(
      'receiver down: the service keeps answering, the queue stays bounded, drops are counted; back up: export resumes',
      { timeout: 30_000 },
      async (t) => {
        const { receiver, app } = await pipeline(t, protocol, {
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
          assert.ok(stats.queued <= 30, `queued ${stats.queued}`)
          assert.ok(balanced(stats), JSON.stringify(stats))
        }
        await app.otel.forceFlush()
        const down = app.otel.stats()
        assert.equal(down.exported, 0)
        assert.ok(down.dropped > 0, 'nothing was dropped although the queue was full')
        assert.equal(down.dropped + down.failed + down.queued, 60)

        await receiver.restart()
        // No reconnect backoff over HTTP: the first export after the restart goes through.
        await app.inject({ url: '/ping/after' })
        await app.otel.forceFlush()
        await receiver.waitFor((all) => all.some((s) => s.attributes['url.path'] === '/ping/after'))
        const after = app.otel.stats()
        assert.ok(balanced(after), JSON.stringify(after))
        assert.equal(after.queued, 0)
      }
    )

    test('log records go to /v1/logs over the same protocol, beside their spans', async (t) => {
      const receiver = await OtlpReceiver.start()
      const app = Fastify({ logger: { level: 'info', stream: { write () {} } } })
      t.after(async () => {
        await app.close()
        await receiver.stop()
      })
      await app.register(otelPlugin, {
        serviceName: 'logs-over-http',
        handleSignals: false,
        exporter: { protocol, endpoint: receiver.httpEndpoint },
        metrics: false,
        logs: true
      })
      app.get('/work', async (request) => {
        request.log.info('working over http')
        return 'ok'
      })
      await app.inject({ url: '/work' })
      await app.otel.forceFlush()
      const [record] = await receiver.waitForLogs((all) => all.some((r) => r.body === 'working over http'))
      const span = (await receiver.waitFor((all) => all.length === 1))[0]
      const working = receiver.logs.find((r) => r.body === 'working over http')
      assert.ok(record)
      assert.deepEqual([working.traceId, working.spanId], [span.traceId, span.spanId])
      assert.deepEqual(
        [...new Set(receiver.exports.map((e) => `${e.signal} ${e.transport} ${e.contentType}`))].sort(),
        [`logs http ${CONTENT_TYPE[protocol]}`, `traces http ${CONTENT_TYPE[protocol]}`]
      )
    })
  })
}
