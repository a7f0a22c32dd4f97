// The log record exporter is assembled from OpenTelemetry JS's OTLP parts on the replaced gRPC
// transport (README, "Logs"), not taken from @opentelemetry/exporter-logs-otlp-grpc. What it sends
// must reach the collector as what that package's OTLPLogExporter sends: the same records,
// resource, scope and metadata, with and without compression and TLS, and a failure must reach
// the pipeline with the same code and message. Both run here side by side against the real receiver.
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, test } from 'node:test'
import { contractReceiver, ourExporterOptions, upstreamGrpcOptions } from '../otlp-contract.mjs'

const SECRET = 'Bearer log-contract-key'

/** The `logs` option for upstream's exporter and for ours, configured alike for `receiver`. */
const exporters = {
  upstream: (receiver, settings) => ({
    exporter: new OTLPLogExporter(upstreamGrpcOptions(receiver, SECRET, settings))
  }),
  ours: () => true
}

/** One app per exporter, closed before the next: the process has one SDK at a time. */
async function send (receiver, logs, settings) {
  const warnings = []
  const stream = new Writable({
    write (chunk, _encoding, callback) {
      const line = JSON.parse(chunk)
      if (typeof line.code === 'string') warnings.push(line)
      callback()
    }
  })
  const app = Fastify({ logger: { level: 'info', stream } })
  // Our log exporter takes the span exporter's settings.
  await app.register(otelPlugin, {
    serviceName: 'log-contract',
    handleSignals: false,
    shutdownTimeoutMillis: 2000,
    exporter: ourExporterOptions(receiver, SECRET, settings),
    logs
  })
  app.get('/orders/:id', async (request) => {
    request.log.info({ order: { id: request.params.id, lines: [1, 'two'] }, amount: 12.5, paid: true }, 'order loaded')
    request.log.warn('stock is low')
    return 'ok'
  })
  await app.inject({ url: '/orders/7' })
  await app.otel.forceFlush()
  const stats = app.otel.stats().logs
  await app.close()
  return { stats, warnings }
}

/** The handler's records as they arrived, without what differs by nature between two runs (ids, times, the process). */
function comparable (receiver) {
  return receiver.logs
    .filter((r) => r.attributes.req === undefined && r.attributes.res === undefined)
    .map((r) => {
      const { pid, hostname, reqId, ...attributes } = r.attributes
      return {
        body: r.body,
        severityNumber: r.severityNumber,
        severityText: r.severityText,
        attributes,
        flags: r.flags,
        traced: r.traceId.length === 32 && r.spanId.length === 16,
        resource: r.resource['service.name'],
        scope: r.scope
      }
    })
    .sort((a, b) => String(a.body).localeCompare(String(b.body)))
}

describe('our log exporter against @opentelemetry/exporter-logs-otlp-grpc', () => {
  for (const [label, settings] of [
    ['plaintext', {}],
    ['gzip', { compression: 'gzip' }],
    ['TLS with gzip', { compression: 'gzip', secure: true }]
  ]) {
    test(`${label}: the same records and metadata reach the collector`, async (t) => {
      const results = {}
      for (const [name, make] of Object.entries(exporters)) {
        const receiver = await contractReceiver(SECRET, settings)
        t.after(() => receiver.stop())
        await send(receiver, make(receiver, settings), settings)
        // The handler's two lines and Fastify's two request lines.
        await receiver.waitFor(() => receiver.logs.length === 4)
        const logExports = receiver.exports.filter((e) => e.signal === 'logs')
        results[name] = {
          records: comparable(receiver),
          headers: logExports.map((e) => e.headers.authorization),
          codes: logExports.map((e) => e.code)
        }
      }
      assert.deepEqual(results.ours, results.upstream)
      assert.deepEqual(results.ours.codes, [0])
      assert.equal(results.ours.records.length, 2)
      assert.deepEqual(results.ours.records[0].attributes.order, { id: '7', lines: [1, 'two'] })
    })
  }

  test('a failure reaches the pipeline with the same gRPC code and message', async (t) => {
    const messages = {}
    for (const [name, make] of Object.entries(exporters)) {
      const receiver = await contractReceiver(SECRET)
      t.after(() => receiver.stop())
      receiver.failNext({ code: 3, message: 'bad log payload', signal: 'logs' })
      const { stats, warnings } = await send(receiver, make(receiver))
      assert.equal(stats.failed, 4)
      messages[name] = warnings
        .find((l) => l.code === 'FOK_WARN_EXPORT_FAILED' && /log record/.test(l.msg))
        ?.msg.replace('the collector', 'the exporter')
    }
    assert.equal(messages.ours, messages.upstream)
    assert.match(messages.ours, /3 INVALID_ARGUMENT: bad log payload/)
  })
})
