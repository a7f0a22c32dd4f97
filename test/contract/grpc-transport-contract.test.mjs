// The OTLP/gRPC exporter is OpenTelemetry JS's, with the transport replaced (docs/internals/
// upstream-parts.md, "The gRPC transport"). Whatever goes through it must reach the collector as
// through upstream's own OTLPTraceExporter: the same spans, metadata, compression and TLS, and
// failures with the same gRPC codes and messages. Both run here side by side against the real
// receiver; so do the differences that are the reason for the replacement ("upstream does X, ours
// does Y"). How soon export resumes after an outage takes seconds per round: bench/pipeline/recovery.mjs.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
import Fastify from 'fastify'
import otelPlugin, { withSpan } from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { describe, test } from 'node:test'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { TRACE_SERVICE } from '../../dist/sdk/export/grpc/grpc-transport.js'
import { buildOtlpGrpcExporter, MAX_REQUEST_BYTES } from '../../dist/sdk/export/grpc/otlp-grpc-exporter.js'
import { ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { logCapture, silentCollector, withoutTimings } from '../helpers.mjs'
import { contractReceiver, ourExporterOptions, upstreamGrpcOptions } from '../otlp-contract.mjs'

const SECRET = 'Bearer contract-key'
const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version

/** Upstream's exporter and ours, configured alike for `receiver`. */
const exporters = {
  upstream: (receiver, settings) => ({
    exporter: new OTLPTraceExporter(upstreamGrpcOptions(receiver, SECRET, settings))
  }),
  ours: (receiver, settings) => ({ exporter: ourExporterOptions(receiver, SECRET, settings) })
}

/** One app per exporter, closed before the next: the process has one SDK at a time. */
async function send (receiver, options) {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'warn', stream: logs.stream } })
  await app.register(otelPlugin, {
    serviceName: 'contract',
    handleSignals: false,
    shutdownTimeoutMillis: 2000,
    // The span exporters are compared; metrics would reach the receivers too.
    metrics: false,
    ...options
  })
  app.get('/orders/:id', async () => withSpan('order.load', { 'order.id': 'o-1', amounts: [1, 2] }, () => 'ok'))
  await app.inject({ url: '/orders/7?x=1', headers: { 'user-agent': 'contract/1' } })
  await app.otel.forceFlush()
  const stats = app.otel.stats()
  await app.close()
  return { stats, logs }
}

/** What arrived, without what differs by nature between two runs (ids, times). */
function comparable (receiver) {
  return receiver.spans
    .map((s) => ({
      name: s.name,
      kind: s.kind,
      status: s.status,
      attributes: withoutTimings(s.attributes),
      resource: s.resource?.['service.name'],
      scope: s.scope
    }))
    .sort((a, b) => a.name.localeCompare(b.name))
}

describe("the replaced transport against upstream's", () => {
  for (const [label, settings] of [
    ['plaintext', {}],
    ['gzip', { compression: 'gzip' }],
    ['TLS with gzip', { compression: 'gzip', secure: true }]
  ]) {
    test(`${label}: the same spans and metadata reach the collector`, async (t) => {
      const results = {}
      for (const [name, make] of Object.entries(exporters)) {
        const receiver = await contractReceiver(SECRET, settings)
        t.after(() => receiver.stop())
        await send(receiver, make(receiver, settings))
        await receiver.waitFor((all) => all.length === 2)
        results[name] = {
          spans: comparable(receiver),
          headers: receiver.exports.map((e) => e.headers.authorization),
          codes: receiver.exports.map((e) => e.code)
        }
      }
      assert.deepEqual(results.ours, results.upstream)
      assert.deepEqual(results.ours.codes, [0])
      assert.equal(results.ours.spans.length, 2)
    })
  }

  test('a failure reaches the pipeline with the same gRPC code and message', async (t) => {
    const messages = {}
    for (const [name, make] of Object.entries(exporters)) {
      const receiver = await contractReceiver(SECRET)
      t.after(() => receiver.stop())
      receiver.failNext({ code: 3, message: 'bad payload' })
      const { stats, logs } = await send(receiver, make(receiver))
      assert.equal(stats.failed, 2)
      messages[name] = logs.lines
        .find((l) => l.code === 'FOK_WARN_EXPORT_FAILED')
        ?.msg.replace('the collector', 'the exporter')
    }
    assert.equal(messages.ours, messages.upstream)
    assert.match(messages.ours, /3 INVALID_ARGUMENT: bad payload/)
  })
  test("the user agent is upstream's, after ours, as upstream writes one given to it", async (t) => {
    const agents = {}
    // Upstream's exporter told our name as its userAgent option: the header ours must send.
    const makers = {
      ...exporters,
      upstream: (receiver) => ({
        exporter: new OTLPTraceExporter({ url: receiver.endpoint, userAgent: `fastify-otel-kit/${VERSION}` })
      })
    }
    for (const [name, make] of Object.entries(makers)) {
      const receiver = await OtlpReceiver.start()
      t.after(() => receiver.stop())
      await send(receiver, make(receiver))
      agents[name] = receiver.exports.map((e) => e.headers['user-agent'])
    }
    assert.deepEqual(agents.ours, agents.upstream)
    assert.match(
      agents.ours[0],
      new RegExp(`^fastify-otel-kit/${VERSION} OTel-OTLP-Exporter-JavaScript/\\d+\\.\\d+\\.\\d+ grpc-node-js/`)
    )
  })

  test('a connection that stops answering: after more than 5 deadlines in a row a new connection is made and ' +
    'export resumes', async (t) => {
    const TIMEOUT = 250
    const makers = {
      upstream: (endpoint) => new OTLPTraceExporter({ url: endpoint, timeoutMillis: TIMEOUT }),
      ours: (endpoint) => ({ protocol: 'grpc', endpoint, timeoutMillis: TIMEOUT, retry: false })
    }
    const outcomes = {}
    for (const [name, make] of Object.entries(makers)) {
      const receiver = await OtlpReceiver.start()
      t.after(() => receiver.stop())
      const proxy = await freezingProxy(receiver.port)
      t.after(() => proxy.close())
      const app = Fastify({ logger: { level: 'warn', stream: logCapture().stream } })
      await app.register(otelPlugin, {
        serviceName: 'contract',
        handleSignals: false,
        shutdownTimeoutMillis: 1000,
        exporter: make(`http://127.0.0.1:${proxy.port}`),
        batch: { scheduledDelayMillis: 60_000 }
      })
      const exportOne = async (label) => {
        const before = app.otel.stats().exported
        app.otel.tracer.startSpan(label).end()
        await app.otel.forceFlush()
        return app.otel.stats().exported > before
      }
      assert.equal(await exportOne('through'), true)
      // The connection now swallows everything and answers nothing, as a half-open one behind a
      // load balancer does; a new connection goes through.
      proxy.freeze()
      const attempts = []
      for (let i = 0; i < 10 && attempts.at(-1) !== true; i++) attempts.push(await exportOne(`attempt-${i}`))
      outcomes[name] = { attempts, connections: proxy.connections }
      await app.close()
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream)
    // Six deadlines in a row, then the seventh export goes out on a new connection.
    assert.deepEqual(outcomes.ours, { attempts: [false, false, false, false, false, false, true], connections: 2 })
  })
})

describe('upstream does X, ours does Y (docs/internals/upstream-parts.md, "The gRPC transport")', () => {
  const TRACES = {
    service: TRACE_SERVICE,
    serializer: ProtobufTraceSerializer,
    metricsHelper: TraceExporterMetricsHelper,
    componentType: 'otlp_grpc_span_exporter'
  }
  const option = (value) => ({ value, source: 'option' })
  /** The two exporters, bare (no batch processor, no retries): only the transport differs. */
  const bare = {
    upstream: (endpoint, timeoutMillis) => new OTLPTraceExporter({ url: endpoint, timeoutMillis }),
    ours: (endpoint, timeoutMillis) =>
      buildOtlpGrpcExporter(
        TRACES,
        {
          endpoint: option(endpoint),
          insecure: option(false),
          compression: option('none'),
          timeoutMillis: option(timeoutMillis),
          retry: option(false),
          certificateFile: option(undefined),
          clientKeyFile: option(undefined),
          clientCertificateFile: option(undefined)
        },
        {},
        30_000,
        () => {}
      )
  }
  const exportOnce = (exporter, spans) => new Promise((resolve) => exporter.export(spans, resolve))
  function spans (count, attributeBytes = 0) {
    const memory = new InMemorySpanExporter()
    const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] }).getTracer(
      'contract'
    )
    const attributes = attributeBytes > 0 ? { blob: 'x'.repeat(attributeBytes) } : {}
    for (let i = 0; i < count; i++) tracer.startSpan(`s${i}`, { attributes }).end()
    return memory.getFinishedSpans()
  }

  test("shutdown, a collector that never answers: upstream's waits for the deadline; " +
    'ours cancels the call', async (t) => {
    const TIMEOUT = 1500
    const outcome = {}
    for (const [name, make] of Object.entries(bare)) {
      const collector = await silentCollector(t)
      const exporter = make(collector.endpoint, TIMEOUT)
      const result = exportOnce(exporter, spans(2))
      await collector.reached
      const started = performance.now()
      await exporter.shutdown()
      const shutdownMillis = performance.now() - started
      const { error } = await result
      outcome[name] = {
        slow: shutdownMillis > TIMEOUT * 0.8,
        code: error?.code,
        shutdownMillis: Math.round(shutdownMillis)
      }
    }
    // Upstream's ends with DEADLINE_EXCEEDED once the deadline is reached; until then the open call
    // keeps the process alive (test/e2e/exit-hung-collector.test.mjs: ours exits at the shutdown bound).
    const seen = (name) => ({ slow: outcome[name].slow, code: outcome[name].code })
    assert.deepEqual(seen('upstream'), { slow: true, code: 4 }, `fixed upstream: ${JSON.stringify(outcome)}`)
    assert.deepEqual(seen('ours'), { slow: false, code: 1 }, JSON.stringify(outcome))
  })

  // Not a reason to keep the transport (measured): a grpc-js collector refuses an oversized request
  // from its length prefix, after one HTTP/2 flow-control window (64 KiB), and names the size, so the
  // batch processor splits the batch either way. Ours saves that round trip and those bytes.
  test("a request over 4 MiB: upstream's sends one HTTP/2 window, ours nothing; " +
    'both errors split the batch', async (t) => {
    const { isTooLarge } = await import('../../dist/sdk/export/grpc/grpc-status.js')
    const outcome = {}
    const big = spans(5, 1024 * 1024) // about 5 MiB encoded
    for (const [name, make] of Object.entries(bare)) {
      const receiver = await OtlpReceiver.start()
      t.after(() => receiver.stop())
      const proxy = await freezingProxy(receiver.port)
      t.after(() => proxy.close())
      const exporter = make(`http://127.0.0.1:${proxy.port}`, 10_000)
      t.after(() => exporter.shutdown())
      const result = await exportOnce(exporter, big)
      outcome[name] = {
        code: result.error?.code,
        split: isTooLarge(result.error),
        someBytesSent: proxy.bytesUp > 0 && proxy.bytesUp < 256 * 1024,
        received: receiver.spans.length
      }
    }
    assert.ok(big.length === 5 && MAX_REQUEST_BYTES === 4 * 1024 * 1024)
    assert.deepEqual(
      outcome.upstream,
      { code: 8, split: true, someBytesSent: true, received: 0 },
      JSON.stringify(outcome)
    )
    assert.deepEqual(outcome.ours, { code: 8, split: true, someBytesSent: false, received: 0 })
  })
})

/**
 * A TCP proxy to `port` whose open connections can be frozen: they take every byte and pass none
 * on, either way, while connections made later go through.
 */
async function freezingProxy (port) {
  const pairs = new Set()
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1')
    const pair = { client, upstream, frozen: false }
    pairs.add(pair)
    proxy.connections++
    client.on('data', (bytes) => {
      proxy.bytesUp += bytes.length
      if (!pair.frozen) upstream.write(bytes)
    })
    upstream.on('data', (bytes) => {
      if (!pair.frozen) client.write(bytes)
    })
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client]
    ]) {
      socket.on('error', () => {})
      socket.on('close', () => {
        other.destroy()
        pairs.delete(pair)
      })
    }
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const proxy = {
    port: server.address().port,
    connections: 0,
    /** Bytes received from clients, frozen or not. */
    bytesUp: 0,
    freeze () {
      for (const pair of pairs) pair.frozen = true
    },
    close () {
      for (const pair of pairs) pair.client.destroy()
      return new Promise((resolve) => server.close(resolve))
    }
  }
  return proxy
}
