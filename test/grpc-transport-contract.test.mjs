// The OTLP/gRPC exporter is OpenTelemetry JS's, with the transport replaced (README, "Export that
// survives faults"). Whatever goes through it must reach the collector as through upstream's own
// OTLPTraceExporter: the same spans, metadata, compression and TLS, and failures with the same
// gRPC codes and messages. Both run here side by side against the real receiver.
import { Metadata, credentials } from '@grpc/grpc-js'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
import Fastify from 'fastify'
import otelPlugin, { withSpan } from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../dist/receiver/otlp-receiver.js'
import { logCapture } from './helpers.mjs'

const tls = (name) => fileURLToPath(new URL(`./fixtures/tls/${name}`, import.meta.url))
const SECRET = 'Bearer contract-key'

/** Upstream's exporter and ours, configured alike for `receiver`. */
const exporters = {
  upstream: (receiver, { compression = 'none', secure = false } = {}) => {
    const metadata = new Metadata()
    metadata.set('authorization', SECRET)
    return {
      exporter: new OTLPTraceExporter({
        url: receiver.endpoint,
        metadata,
        compression,
        ...(secure ? { credentials: credentials.createSsl(readFileSync(tls('ca.pem'))) } : {})
      })
    }
  },
  ours: (receiver, { compression = 'none', secure = false } = {}) => ({
    exporter: { endpoint: receiver.endpoint, headers: { authorization: SECRET }, compression, retry: false, ...(secure ? { certificateFile: tls('ca.pem') } : {}) }
  })
}

/** One app per exporter, closed before the next: the process has one SDK at a time. */
async function send (receiver, options) {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'warn', stream: logs.stream } })
  await app.register(otelPlugin, { serviceName: 'contract', handleSignals: false, shutdownTimeoutMillis: 2000, ...options })
  app.get('/orders/:id', async () => withSpan('order.load', { 'order.id': 'o-1', amounts: [1, 2] }, () => 'ok'))
  await app.inject({ url: '/orders/7?x=1', headers: { 'user-agent': 'contract/1' } })
  await app.otel.forceFlush()
  const stats = app.otel.stats()
  await app.close()
  return { stats, logs }
}

/** What arrived, without what differs by nature between two runs (ids, times). */
function comparable (receiver) {
  return receiver.spans.map((s) => ({ name: s.name, kind: s.kind, status: s.status, attributes: s.attributes, resource: s.resource?.['service.name'], scope: s.scope }))
    .sort((a, b) => a.name.localeCompare(b.name))
}

describe('the replaced transport against upstream\'s', () => {
  for (const [label, settings] of [['plaintext', {}], ['gzip', { compression: 'gzip' }], ['TLS with gzip', { compression: 'gzip', secure: true }]]) {
    test(`${label}: the same spans and metadata reach the collector`, async (t) => {
      const results = {}
      for (const [name, make] of Object.entries(exporters)) {
        const receiver = await OtlpReceiver.start({
          requiredHeaders: { authorization: SECRET },
          ...(settings.secure ? { tls: { cert: readFileSync(tls('server.pem')), key: readFileSync(tls('server.key')) } } : {})
        })
        t.after(() => receiver.stop())
        await send(receiver, make(receiver, settings))
        await receiver.waitFor((all) => all.length === 2)
        results[name] = { spans: comparable(receiver), headers: receiver.exports.map((e) => e.headers.authorization), codes: receiver.exports.map((e) => e.code) }
      }
      assert.deepEqual(results.ours, results.upstream)
      assert.deepEqual(results.ours.codes, [0])
      assert.equal(results.ours.spans.length, 2)
    })
  }

  test('a failure reaches the pipeline with the same gRPC code and message', async (t) => {
    const messages = {}
    for (const [name, make] of Object.entries(exporters)) {
      const receiver = await OtlpReceiver.start({ requiredHeaders: { authorization: SECRET } })
      t.after(() => receiver.stop())
      receiver.failNext({ code: 3, message: 'bad payload' })
      const { stats, logs } = await send(receiver, make(receiver))
      assert.equal(stats.failed, 2)
      messages[name] = logs.lines.find((l) => l.code === 'FOK_WARN_EXPORT_FAILED')?.msg.replace('the collector', 'the exporter')
    }
    assert.equal(messages.ours, messages.upstream)
    assert.match(messages.ours, /3 INVALID_ARGUMENT: bad payload/)
  })
})
