// The OTLP/gRPC exporter is assembled from upstream's public parts (sdk/export/otlp-grpc-exporter.ts):
// createOtlpNetworkExportDelegate, OTLPExporterBase, createOtlpGrpcExporterMetrics and the protobuf
// serializers, with our transport under them. What the assembly relies on, held to the installed
// 0.30x line against a real receiver: the delegate hands the configured timeout to the transport,
// a partial success is a success that upstream reports, the self-observability helper's signature
// and what it records for our transport's outcomes, a shutdown that does not wait for a call to a
// collector that never answers, and the order the reuse of request bodies relies on: the delegate
// serializes inside `export` and calls back only once the transport's send has settled.
import { diag, DiagLogLevel } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import { createOtlpNetworkExportDelegate, OTLPExporterBase } from '@opentelemetry/otlp-exporter-base'
import { createOtlpGrpcExporterMetrics } from '@opentelemetry/otlp-grpc-exporter-base'
import { ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { credentials, Metadata } from '@grpc/grpc-js'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GrpcTransport, TRACE_SERVICE } from '../../dist/sdk/export/grpc/grpc-transport.js'
import { buildOtlpGrpcExporter } from '../../dist/sdk/export/grpc/otlp-grpc-exporter.js'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { silentCollector } from '../helpers.mjs'
import { resolvedExporterConfig } from '../otlp-contract.mjs'

const TRACES = {
  service: TRACE_SERVICE,
  serializer: ProtobufTraceSerializer,
  metricsHelper: TraceExporterMetricsHelper,
  componentType: 'otlp_grpc_span_exporter'
}

/** Two ended SDK spans. */
function someSpans () {
  const memory = new InMemorySpanExporter()
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] })
  const tracer = provider.getTracer('pieces')
  tracer.startSpan('one').end()
  tracer.startSpan('two').end()
  return memory.getFinishedSpans()
}

const exportOnce = (exporter, spans) => new Promise((resolve) => exporter.export(spans, resolve))

test('the delegate hands the configured timeout to the transport: no answer fails at that deadline', async (t) => {
  const config = resolvedExporterConfig({ endpoint: (await silentCollector(t)).endpoint, timeoutMillis: 300 })
  const exporter = buildOtlpGrpcExporter(TRACES, config, {}, 30_000, () => {})
  t.after(() => exporter.shutdown())
  const started = performance.now()
  const result = await exportOnce(exporter, someSpans())
  const took = performance.now() - started
  assert.equal(result.code, ExportResultCode.FAILED)
  assert.equal(result.error.code, 4, String(result.error)) // DEADLINE_EXCEEDED
  assert.ok(took >= 290 && took < 2000, `failed after ${Math.round(took)} ms`)
})

// Our transport hands the collector's response bytes to upstream's response handler.
test("a partial success is a success, reported through diag by upstream's response handler", async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const warnings = []
  const keep = (...parts) => warnings.push(parts.join(' '))
  diag.setLogger({ error: keep, warn: keep, info () {}, debug () {}, verbose () {} }, DiagLogLevel.WARN)
  t.after(() => diag.disable())
  const config = resolvedExporterConfig({ endpoint: receiver.endpoint })
  const exporter = buildOtlpGrpcExporter(TRACES, config, {}, 30_000, () => {})
  t.after(() => exporter.shutdown())
  receiver.respondPartially(1, 'one span too large')
  const result = await exportOnce(exporter, someSpans())
  assert.equal(result.code, ExportResultCode.SUCCESS)
  assert.equal(receiver.spans.length, 2)
  const partial = warnings.find((w) => w.includes('Partial Success'))
  assert.ok(partial !== undefined, warnings.join('\n'))
  assert.match(partial, /one span too large/)
})

test('shutdown does not wait for a call to a collector that never answers: ' +
  'the call is cancelled at once', async (t) => {
  const collector = await silentCollector(t)
  const config = resolvedExporterConfig({ endpoint: collector.endpoint, timeoutMillis: 20_000 })
  const exporter = buildOtlpGrpcExporter(TRACES, config, {}, 30_000, () => {})
  const pending = exportOnce(exporter, someSpans())
  // The call is on the wire: the collector has the connection and its first bytes.
  await collector.reached
  const started = performance.now()
  await exporter.shutdown()
  const result = await pending
  assert.ok(performance.now() - started < 1000, 'shutdown waited for the call')
  assert.equal(result.code, ExportResultCode.FAILED)
  assert.equal(result.error.code, 1, String(result.error)) // CANCELLED
})

test("createOtlpGrpcExporterMetrics(type, helper, url, meterProvider) records our transport's outcomes", async (t) => {
  const changed = "the helper's signature changed: update sdk/export/otlp-grpc-exporter.ts"
  assert.equal(createOtlpGrpcExporterMetrics.length, 4, changed)
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const reader = new (class extends MetricReader {
    async onShutdown () {}
    async onForceFlush () {}
  })()
  const meterProvider = new MeterProvider({ readers: [reader] })
  t.after(() => meterProvider.shutdown())
  // Assembled as otlp-grpc-exporter.ts does, with a MeterProvider where it passes undefined.
  const transport = new GrpcTransport({
    service: TRACE_SERVICE,
    address: new URL(receiver.endpoint).host,
    credentials: credentials.createInsecure(),
    metadata: new Metadata(),
    compression: 'none',
    maxRequestBytes: 4 * 1024 * 1024
  })
  const delegate = createOtlpNetworkExportDelegate(
    { timeoutMillis: 2000, concurrencyLimit: 2, compression: 'none' },
    ProtobufTraceSerializer,
    createOtlpGrpcExporterMetrics(TRACES.componentType, TraceExporterMetricsHelper, receiver.endpoint, meterProvider),
    transport
  )
  const exporter = new OTLPExporterBase(delegate)
  t.after(() => exporter.shutdown())
  assert.equal((await exportOnce(exporter, someSpans())).code, ExportResultCode.SUCCESS)
  receiver.failNext({ code: 3, message: 'bad payload' })
  assert.equal((await exportOnce(exporter, someSpans())).code, ExportResultCode.FAILED)

  const { resourceMetrics } = await reader.collect()
  const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)
  const exported = metrics.find((m) => m.descriptor.name === 'otel.sdk.exporter.span.exported')
  assert.ok(exported !== undefined, metrics.map((m) => m.descriptor.name).join(', '))
  const port = Number(new URL(receiver.endpoint).port)
  // Counted per outcome (error.type is the error's class name: grpc-js's errors are plain Errors).
  const counts = Object.fromEntries(
    exported.dataPoints.map((p) => [
      p.attributes['error.type'] ?? 'ok',
      { value: p.value, type: p.attributes['otel.component.type'], port: p.attributes['server.port'] }
    ])
  )
  assert.deepEqual(counts, {
    ok: { value: 2, type: 'otlp_grpc_span_exporter', port },
    Error: { value: 2, type: 'otlp_grpc_span_exporter', port }
  })
  // The gRPC status is read from our transport's error (its numeric `code`) onto the duration.
  const duration = metrics.find((m) => m.descriptor.name === 'otel.sdk.exporter.operation.duration')
  const statuses = duration.dataPoints.map((p) => p.attributes['rpc.response.status_code']).sort()
  assert.deepEqual(statuses, ['INVALID_ARGUMENT', 'OK'])
  const inflight = metrics.find((m) => m.descriptor.name === 'otel.sdk.exporter.span.inflight')
  assert.equal(
    inflight.dataPoints.reduce((sum, p) => sum + p.value, 0),
    0
  )
})

test('what otlp-grpc-exporter.ts passes (no MeterProvider) records nothing, not even on a global one', async (t) => {
  const { metrics } = await import('@opentelemetry/api')
  const reader = new (class extends MetricReader {
    async onShutdown () {}
    async onForceFlush () {}
  })()
  const meterProvider = new MeterProvider({ readers: [reader] })
  metrics.setGlobalMeterProvider(meterProvider)
  t.after(async () => {
    metrics.disable()
    await meterProvider.shutdown()
  })
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const config = resolvedExporterConfig({ endpoint: receiver.endpoint })
  const exporter = buildOtlpGrpcExporter(TRACES, config, {}, 30_000, () => {})
  t.after(() => exporter.shutdown())
  assert.equal((await exportOnce(exporter, someSpans())).code, ExportResultCode.SUCCESS)
  const { resourceMetrics } = await reader.collect()
  assert.deepEqual(
    resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => m.descriptor.name),
    []
  )
})

// sdk/export/otlp-item-exporter.ts notes the body written during `export` and hands it back when
// the delegate calls back: both must hold for the installed delegate, or a body would be written
// over while its transport still sends it.
test('the delegate serializes inside export() and calls back only once the send has settled', async () => {
  const events = []
  let settle
  const transport = {
    send: (data) => {
      events.push(`send ${data.length} bytes`)
      return new Promise((resolve) => {
        settle = resolve
      })
    },
    shutdown: () => {}
  }
  const serializer = {
    serializeRequest: (items) => {
      events.push('serialized')
      return ProtobufTraceSerializer.serializeRequest(items)
    },
    deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data)
  }
  const delegate = createOtlpNetworkExportDelegate(
    { timeoutMillis: 1000, concurrencyLimit: 2, compression: 'none' },
    serializer,
    createOtlpGrpcExporterMetrics('otlp_grpc_span_exporter', TraceExporterMetricsHelper, 'http://x', undefined),
    transport
  )
  const exporter = new OTLPExporterBase(delegate)
  let result
  exporter.export(someSpans(), (r) => {
    result = r
    events.push('called back')
  })
  events.push('export returned')
  assert.deepEqual(events.slice(0, 1), ['serialized'])
  assert.match(events[1], /^send \d+ bytes$/)
  assert.equal(events[2], 'export returned')
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(result, undefined, 'no call back while the send is under way')
  settle({ status: 'success' })
  await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(result?.code, ExportResultCode.SUCCESS)
  assert.equal(events.at(-1), 'called back')
})
