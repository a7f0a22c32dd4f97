// The OTLP/HTTP exporters are OpenTelemetry JS's (delegate, serializers, metrics) with the
// transport replaced (docs/internals/upstream-parts.md, "The OTLP/HTTP transport"). Whatever goes
// through them must reach the collector as through upstream's own exporters
// (@opentelemetry/exporter-trace-otlp-proto and -http, exporter-logs-otlp-proto and -http): the
// same spans and records decoded, the same path, content type, encoding, credentials and user
// agent, TLS included. Both run here side by side against the real receiver; so do the
// differences that are the reason for the replacement ("upstream does X, ours does Y").
import { OTLPLogExporter as LogsJson } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto'
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto'
import { ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin, { withSpan } from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { buildOtlpHttpExporter } from '../../dist/sdk/export/http/otlp-http-exporter.js'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { logCapture, silentCollector, withoutTimings } from '../helpers.mjs'
import { contractReceiver, resolvedExporterConfig, tlsFixture } from '../otlp-contract.mjs'

const SECRET = 'Bearer http-contract-key'
const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version
const UPSTREAM = {
  'http/protobuf': { traces: TraceProto, logs: LogsProto },
  'http/json': { traces: TraceJson, logs: LogsJson }
}
const PATH = { traces: '/v1/traces', logs: '/v1/logs' }

/** Upstream's constructor options for the same settings (its `url` is the signal's whole URL). */
function upstreamOptions (receiver, signal, { compression = 'none', secure = false } = {}) {
  return {
    url: `${receiver.httpEndpoint}${PATH[signal]}`,
    headers: { authorization: SECRET },
    compression,
    // Upstream writes a user agent given to it before its own: ours, as our transport does.
    userAgent: `fastify-otel-kit/${VERSION}`,
    ...(secure ? { httpAgentOptions: { ca: readFileSync(tlsFixture('ca.pem')) } } : {})
  }
}

/** The plugin's `exporter` option, the same settings. */
function ourOptions (receiver, protocol, { compression = 'none', secure = false } = {}) {
  return {
    protocol,
    endpoint: receiver.httpEndpoint,
    headers: { authorization: SECRET },
    compression,
    retry: false,
    ...(secure ? { certificateFile: tlsFixture('ca.pem') } : {})
  }
}

/** One app per exporter, closed before the next: the process has one SDK at a time. */
async function send (options) {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  await app.register(
    otelPlugin,
    // lifecycleSpans off: the two runs compare their spans, and a slow phase on a loaded machine adds one.
    { serviceName: 'contract', handleSignals: false, shutdownTimeoutMillis: 2000, lifecycleSpans: 'off', ...options }
  )
  app.get('/orders/:id', async (request) => {
    request.log.info({ order: { id: request.params.id, lines: [1, 'two'] }, amount: 12.5 }, 'order loaded')
    return withSpan('order.load', { 'order.id': 'o-1', amounts: [1, 2] }, () => 'ok')
  })
  await app.inject({ url: '/orders/7?x=1', headers: { 'user-agent': 'contract/1' } })
  await app.otel.forceFlush()
  const stats = app.otel.stats()
  await app.close()
  return { stats, logs }
}

/** What arrived, without what differs by nature between two runs (ids, times, the process). */
function comparable (receiver, signal) {
  const exports = receiver.exports.filter((e) => e.signal === signal)
  const items =
    signal === 'traces'
      ? receiver.spans.map((s) => ({
        name: s.name,
        kind: s.kind,
        status: s.status,
        attributes: withoutTimings(s.attributes),
        resource: s.resource?.['service.name'],
        scope: s.scope
      }))
      : receiver.logs
        .filter((r) => r.body === 'order loaded')
        .map((r) => {
          const { pid, hostname, reqId, ...attributes } = r.attributes
          return {
            body: r.body,
            severityText: r.severityText,
            attributes,
            resource: r.resource['service.name'],
            scope: r.scope
          }
        })
  return {
    items: items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    requests: exports.map((e) => ({
      contentType: e.contentType,
      contentEncoding: e.contentEncoding,
      authorization: e.headers.authorization,
      userAgent: e.headers['user-agent'],
      httpStatus: e.httpStatus
    }))
  }
}

for (const protocol of ['http/protobuf', 'http/json']) {
  for (const signal of ['traces', 'logs']) {
    describe(`${signal} over ${protocol}: ours against upstream's`, () => {
      for (const [label, settings] of [
        ['plaintext', {}],
        ['gzip', { compression: 'gzip' }],
        ['TLS with gzip', { compression: 'gzip', secure: true }]
      ]) {
        test(`${label}: the same ${signal} and request headers reach the collector`, async (t) => {
          const results = {}
          for (const name of ['upstream', 'ours']) {
            const receiver = await contractReceiver(SECRET, settings)
            t.after(() => receiver.stop())
            const Upstream = UPSTREAM[protocol][signal]
            const ours = ourOptions(receiver, protocol, settings)
            // The other signal goes nowhere in both runs: only this one is compared.
            const options =
              signal === 'traces'
                ? { exporter: name === 'ours' ? ours : new Upstream(upstreamOptions(receiver, signal, settings)) }
                : {
                    exporter: { ...ours, traces: { endpoint: 'https://127.0.0.1:9/v1/traces' } },
                    logs: name === 'ours'
                      ? true
                      : {
                          exporter: new Upstream(upstreamOptions(
                            receiver,
                            signal,
                            settings
                          ))
                        }
                  }
            await send(options)
            if (signal === 'traces') await receiver.waitFor((all) => all.length === 2)
            else await receiver.waitForLogs((all) => all.some((r) => r.body === 'order loaded'))
            results[name] = comparable(receiver, signal)
          }
          assert.deepEqual(results.ours, results.upstream)
          assert.equal(results.ours.items.length, signal === 'traces' ? 2 : 1)
          assert.equal(results.ours.requests[0].httpStatus, 200)
          assert.equal(results.ours.requests[0].authorization, SECRET)
          assert.match(
            results.ours.requests[0].userAgent,
            new RegExp(`^fastify-otel-kit/${VERSION} OTel-OTLP-Exporter-JavaScript/\\d+\\.\\d+\\.\\d+$`)
          )
        })
      }

      test('a refusal reaches the pipeline as the same failure, with the status', async (t) => {
        const failed = {}
        for (const name of ['upstream', 'ours']) {
          const receiver = await contractReceiver(SECRET)
          t.after(() => receiver.stop())
          receiver.failNext({ httpStatus: 400, message: 'bad payload', signal })
          const Upstream = UPSTREAM[protocol][signal]
          const ours = ourOptions(receiver, protocol)
          const options =
            signal === 'traces'
              ? { exporter: name === 'ours' ? ours : new Upstream(upstreamOptions(receiver, signal)) }
              : {
                  exporter: { ...ours, traces: { endpoint: 'https://127.0.0.1:9/v1/traces' } },
                  logs: name === 'ours' ? true : { exporter: new Upstream(upstreamOptions(receiver, signal)) }
                }
          const { stats, logs } = await send(options)
          const books = signal === 'traces' ? stats : stats.logs
          failed[name] = {
            failed: books.failed,
            exported: books.exported,
            statuses: receiver.exports.filter((e) => e.signal === signal).map((e) => e.httpStatus)
          }
          const noun = signal === 'traces' ? 'span' : 'log record'
          const warning = logs.lines.find((l) => l.code === 'FOK_WARN_EXPORT_FAILED' && l.msg.includes(noun))
          // Upstream's error says the status text; ours says the status and the path too.
          assert.match(warning?.msg ?? '', name === 'ours' ? /HTTP 400 Bad Request \(POST \/v1\/(traces|logs)\)/ : /Bad Request/)
        }
        assert.deepEqual(failed.ours, failed.upstream)
        assert.deepEqual(failed.ours.statuses, [400])
      })
    })
  }
}

function oneSpan () {
  const spans = []
  const provider = new TracerProvider({
    spanProcessors: [{
      onStart () {},
      onEnd: (s) => spans.push(s),
      forceFlush: async () => {},
      shutdown: async () => {}
    }]
  })
  provider.getTracer('contract').startSpan('one').end()
  return spans
}

describe('upstream does X, ours does Y (docs/internals/upstream-parts.md, "The OTLP/HTTP transport")', () => {
  const TRACES = {
    serializer: ProtobufTraceSerializer,
    metricsHelper: TraceExporterMetricsHelper,
    contentType: 'application/x-protobuf',
    componentType: 'otlp_http_span_exporter'
  }
  /** The two exporters, bare (no batch processor, no retries of ours): only the transport differs. */
  const bare = {
    upstream: (url, timeoutMillis) => new TraceProto({ url, timeoutMillis }),
    ours: (url, timeoutMillis) => buildOtlpHttpExporter(
      TRACES,
      resolvedExporterConfig({ protocol: 'http/protobuf', endpoint: url, timeoutMillis }),
      {},
      60_000,
      () => {}
    )
  }

  test('503 on every try: upstream retries inside its transport (6 requests for one export), ours sends one ' +
    'and says it is retryable', async (t) => {
    const requests = {}
    for (const [name, make] of Object.entries(bare)) {
      const receiver = await OtlpReceiver.start()
      t.after(() => receiver.stop())
      receiver.failNext(...Array.from({ length: 10 }, () => ({ httpStatus: 503, retryAfterSeconds: 0 })))
      const exporter = make(`${receiver.httpEndpoint}/v1/traces`, 10_000)
      const result = await new Promise((resolve) => exporter.export(oneSpan(), resolve))
      assert.equal(result.code, 1)
      requests[name] = receiver.exports.length
      await exporter.shutdown()
    }
    // Under our retrying exporter, upstream's transport would multiply every attempt by six.
    assert.deepEqual(requests, { upstream: 6, ours: 1 })
  })

  test('shutdown with a request under way to a collector that never answers: upstream waits for it, ours ends ' +
    'it at once', async (t) => {
    const waited = {}
    for (const [name, make] of Object.entries(bare)) {
      const collector = await silentCollector(t)
      const exporter = make(`${collector.endpoint}/v1/traces`, 1500)
      const settled = new Promise((resolve) => exporter.export(oneSpan(), resolve))
      while (collector.sockets.size === 0) await new Promise((resolve) => setImmediate(resolve))
      const started = performance.now()
      await exporter.shutdown()
      waited[name] = performance.now() - started
      await settled
    }
    // Upstream's shutdown waits for the request's 1.5 s timeout (and the retries after it).
    assert.ok(waited.upstream >= 1400, `upstream's shutdown took ${Math.round(waited.upstream)} ms`)
    assert.ok(waited.ours < 200, `our shutdown took ${Math.round(waited.ours)} ms`)
  })
})
