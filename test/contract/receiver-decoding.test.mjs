// The receiver decodes what upstream's OTLP exporters send, over every protocol they speak: the same
// spans, log records and metrics made once with the SDK are exported by @opentelemetry's -grpc,
// -proto (OTLP/HTTP protobuf) and -http (OTLP/HTTP JSON) exporters, plain and gzipped, and each
// arrives field by field as made: ids, every attribute type, events, links, status, flags, resource,
// scope, and every metric type with its points. Each export is recorded with its transport.
import {
  ROOT_CONTEXT,
  SeverityNumber,
  SpanKind,
  SpanStatusCode,
  ValueType,
  createTraceState,
  trace
} from '@opentelemetry/api'
import { OTLPLogExporter as LogsGrpc } from '@opentelemetry/exporter-logs-otlp-grpc'
import { OTLPLogExporter as LogsJson } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto'
import { OTLPMetricExporter as MetricsGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc'
import { OTLPMetricExporter as MetricsJson } from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto'
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc'
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import {
  AggregationTemporality,
  AggregationType,
  InstrumentType,
  MeterProvider,
  MetricReader
} from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { ns } from '../helpers.mjs'

const resource = resourceFromAttributes({
  'service.name': 'receiver-test',
  'service.version': '1.4.2',
  'host.cores': 2
})
const REMOTE = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' }
const LINKED = { traceId: 'ABCDEF0123456789abcdef0123456789', spanId: '0123456789ABCDEF' }
const LINK_ATTRIBUTES = { 'link.reason': 'retry-of', 'link.attempt': 2 }
const EVENT_ATTRIBUTES = { 'order.lines': 3, 'order.id': 'ord-1' }

/** One attribute of each AnyValue kind the SDK accepts. */
const ATTRIBUTES = {
  'attr.string': 'text',
  'attr.int': 42,
  'attr.negative': -7,
  'attr.double': 12.5,
  'attr.bool': false,
  'attr.strings': ['a', 'b'],
  'attr.mixed': [1, 2.5, 'three'],
  'attr.bytes': new Uint8Array([0, 255, 7]),
  'attr.map': { nested: 'yes', depth: 2, inner: { flag: true } }
}
/** What the receiver decodes them to: bytes as a Buffer, every other value as it was. */
const RECEIVED_ATTRIBUTES = { ...ATTRIBUTES, 'attr.bytes': Buffer.from([0, 255, 7]) }

/** Spans made once with the SDK: a SERVER span under a remote parent (with tracestate), an event, a link, a child. */
function makeSpans () {
  const memory = new InMemorySpanExporter()
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] })
  const tracer = provider.getTracer('receiver-test-traces', '2.3.4')
  const traceState = createTraceState('vendor=abc')
  const parent = trace.setSpanContext(ROOT_CONTEXT, { ...REMOTE, traceFlags: 1, isRemote: true, traceState })
  const linked = { traceId: LINKED.traceId.toLowerCase(), spanId: LINKED.spanId.toLowerCase(), traceFlags: 1 }
  const server = tracer.startSpan(
    'GET /orders/:id',
    {
      kind: SpanKind.SERVER,
      attributes: ATTRIBUTES,
      links: [{ context: linked, attributes: LINK_ATTRIBUTES }]
    },
    parent
  )
  server.addEvent('order.loaded', EVENT_ATTRIBUTES)
  const child = tracer.startSpan('db.query', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, server))
  child.setStatus({ code: SpanStatusCode.OK })
  child.end()
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' })
  server.end()
  return memory.getFinishedSpans()
}

const MAP_BODY = { order: 'ord-1', lines: [1, 'two'], paid: true }

/** Log records made once with the SDK: one inside the server span, one outside any trace with a map body. */
function makeLogs (server) {
  const memory = new InMemoryLogRecordExporter()
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: memory })] })
  const logger = provider.getLogger('receiver-test-logs', '5.6.7')
  logger.emit({
    eventName: 'stock.low',
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: 'stock is low',
    attributes: ATTRIBUTES,
    context: trace.setSpanContext(ROOT_CONTEXT, server.spanContext())
  })
  logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: MAP_BODY })
  return memory.getFinishedLogRecords()
}

/** A reader the test collects from by hand: sums delta, everything else cumulative. */
class PullReader extends MetricReader {
  constructor () {
    super({
      aggregationTemporalitySelector: (type) =>
        type === InstrumentType.COUNTER ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE
    })
  }

  async onForceFlush () {}
  async onShutdown () {}
}

/** Metrics of every type the SDK makes, collected once. */
async function makeMetrics () {
  const reader = new PullReader()
  const provider = new MeterProvider({
    resource,
    readers: [reader],
    views: [{ instrumentName: 'payment.amount', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }]
  })
  const meter = provider.getMeter('receiver-test-metrics', '8.9.0')
  const requests = meter.createCounter('http.requests', {
    unit: '{request}',
    description: 'requests served',
    valueType: ValueType.INT
  })
  requests.add(3, { 'http.route': '/orders/:id', ok: true })
  requests.add(2, { 'http.route': '/pay', ok: false })
  const depth = meter.createUpDownCounter('queue.depth', { valueType: ValueType.INT })
  depth.add(5)
  depth.add(-2)
  meter.createGauge('cpu.temperature', { unit: 'Cel' }).record(61.5, { core: 1 })
  const duration = meter.createHistogram('http.server.request.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.1, 1] }
  })
  for (const seconds of [0.004, 0.05, 0.5, 2]) duration.record(seconds, { 'http.route': '/pay' })
  const amount = meter.createHistogram('payment.amount')
  for (const value of [1, 2, 4, 8]) amount.record(value)
  const { resourceMetrics, errors } = await reader.collect()
  assert.deepEqual(errors, [])
  return resourceMetrics
}

const PROTOCOLS = {
  grpc: { traces: TraceGrpc, logs: LogsGrpc, metrics: MetricsGrpc, transport: 'grpc', contentType: 'application/grpc' },
  'http/protobuf': {
    traces: TraceProto,
    logs: LogsProto,
    metrics: MetricsProto,
    transport: 'http',
    contentType: 'application/x-protobuf'
  },
  'http/json': {
    traces: TraceJson,
    logs: LogsJson,
    metrics: MetricsJson,
    transport: 'http',
    contentType: 'application/json'
  }
}
const PATHS = { traces: '/v1/traces', logs: '/v1/logs', metrics: '/v1/metrics' }

/** Exports `items` with upstream's exporter of `signal` for `protocol` to a fresh receiver; the receiver after. */
async function exportWith (t, protocol, signal, compression, items) {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const { transport } = PROTOCOLS[protocol]
  const url = transport === 'grpc' ? receiver.endpoint : `${receiver.httpEndpoint}${PATHS[signal]}`
  const exporter = new PROTOCOLS[protocol][signal]({ url, compression })
  const result = await new Promise((resolve) => exporter.export(items, resolve))
  await exporter.shutdown()
  assert.equal(result.code, 0, `export failed: ${result.error?.message}`)
  return receiver
}

const hrNanos = (time) => ns(time)
const bySpanId = (a, b) => a.spanId.localeCompare(b.spanId)
const byName = (a, b) => a.name.localeCompare(b.name)

let spans, logs, resourceMetrics
before(async () => {
  spans = makeSpans()
  logs = makeLogs(spans.find((s) => s.name === 'GET /orders/:id'))
  resourceMetrics = await makeMetrics()
})

function expectedSpans () {
  const scope = { name: 'receiver-test-traces', version: '2.3.4' }
  const server = spans.find((s) => s.name === 'GET /orders/:id')
  const child = spans.find((s) => s.name === 'db.query')
  const common = { traceId: REMOTE.traceId, traceState: 'vendor=abc', resource: resource.attributes, scope }
  return [
    {
      ...common,
      spanId: server.spanContext().spanId,
      parentSpanId: REMOTE.spanId,
      name: 'GET /orders/:id',
      kind: 2, // SERVER
      startTimeUnixNano: hrNanos(server.startTime),
      endTimeUnixNano: hrNanos(server.endTime),
      attributes: RECEIVED_ATTRIBUTES,
      events: [{ name: 'order.loaded', timeUnixNano: hrNanos(server.events[0].time), attributes: EVENT_ATTRIBUTES }],
      // Hex ids arrive in lower case.
      links: [
        { traceId: LINKED.traceId.toLowerCase(), spanId: LINKED.spanId.toLowerCase(), attributes: LINK_ATTRIBUTES }
      ],
      status: { code: 2, message: 'card declined' },
      flags: 0x301 // sampled, with a parent known to be remote
    },
    {
      ...common,
      spanId: child.spanContext().spanId,
      parentSpanId: server.spanContext().spanId,
      name: 'db.query',
      kind: 3, // CLIENT
      startTimeUnixNano: hrNanos(child.startTime),
      endTimeUnixNano: hrNanos(child.endTime),
      attributes: {},
      events: [],
      links: [],
      status: { code: 1, message: '' },
      flags: 0x101 // sampled, with a local parent
    }
  ].sort(bySpanId)
}

function expectedLogs () {
  const scope = { name: 'receiver-test-logs', version: '5.6.7' }
  const server = spans.find((s) => s.name === 'GET /orders/:id').spanContext()
  const [inTrace, outside] = logs
  return [
    {
      timeUnixNano: hrNanos(inTrace.hrTime),
      observedTimeUnixNano: hrNanos(inTrace.hrTimeObserved),
      severityNumber: 13,
      severityText: 'WARN',
      body: 'stock is low',
      attributes: RECEIVED_ATTRIBUTES,
      droppedAttributesCount: 0,
      flags: 1,
      traceId: server.traceId,
      spanId: server.spanId,
      eventName: 'stock.low',
      resource: resource.attributes,
      scope
    },
    {
      timeUnixNano: hrNanos(outside.hrTime),
      observedTimeUnixNano: hrNanos(outside.hrTimeObserved),
      severityNumber: 9,
      severityText: 'INFO',
      body: MAP_BODY,
      attributes: {},
      droppedAttributesCount: 0,
      flags: 0,
      traceId: '',
      spanId: '',
      eventName: '',
      resource: resource.attributes,
      scope
    }
  ]
}

function expectedMetrics () {
  const scope = { name: 'receiver-test-metrics', version: '8.9.0' }
  const data = Object.fromEntries(resourceMetrics.scopeMetrics[0].metrics.map((m) => [m.descriptor.name, m.dataPoints]))
  const times = (name, i = 0) => ({
    startTimeUnixNano: hrNanos(data[name][i].startTime),
    timeUnixNano: hrNanos(data[name][i].endTime),
    flags: 0
  })
  const exponential = data['payment.amount'][0].value
  const metric = (name, fields) => ({
    name,
    description: '',
    unit: '',
    temporality: 2,
    isMonotonic: false,
    resource: resource.attributes,
    scope,
    ...fields
  })
  return [
    metric('http.requests', {
      description: 'requests served',
      unit: '{request}',
      type: 'sum',
      temporality: 1, // DELTA
      isMonotonic: true,
      dataPoints: [
        { ...times('http.requests', 0), attributes: { 'http.route': '/orders/:id', ok: true }, value: 3 },
        { ...times('http.requests', 1), attributes: { 'http.route': '/pay', ok: false }, value: 2 }
      ]
    }),
    metric('queue.depth', { type: 'sum', dataPoints: [{ ...times('queue.depth'), attributes: {}, value: 3 }] }),
    metric('cpu.temperature', {
      unit: 'Cel',
      type: 'gauge',
      temporality: 0,
      dataPoints: [{ ...times('cpu.temperature'), attributes: { core: 1 }, value: 61.5 }]
    }),
    metric('http.server.request.duration', {
      unit: 's',
      type: 'histogram',
      dataPoints: [
        {
          ...times('http.server.request.duration'),
          attributes: { 'http.route': '/pay' },
          count: 4,
          sum: 0.004 + 0.05 + 0.5 + 2,
          min: 0.004,
          max: 2,
          bucketCounts: [1, 0, 1, 1, 1],
          explicitBounds: [0.005, 0.01, 0.1, 1]
        }
      ]
    }),
    metric('payment.amount', {
      type: 'exponentialHistogram',
      dataPoints: [
        {
          ...times('payment.amount'),
          attributes: {},
          count: 4,
          sum: 15,
          min: 1,
          max: 8,
          scale: exponential.scale,
          zeroCount: 0,
          positive: { offset: exponential.positive.offset, bucketCounts: exponential.positive.bucketCounts },
          negative: { offset: 0, bucketCounts: [] }
        }
      ]
    })
  ]
}

/** Histogram points leave unset optional doubles undefined; compare present fields only. */
const defined = (value) => JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `${v}n` : v)))

for (const protocol of Object.keys(PROTOCOLS)) {
  describe(`upstream's ${protocol} exporters`, () => {
    for (const compression of ['none', 'gzip']) {
      test(`traces (${compression}): every span arrives as made`, async (t) => {
        const receiver = await exportWith(t, protocol, 'traces', compression, spans)
        assert.deepEqual([...receiver.spans].sort(bySpanId), expectedSpans())
        assertRecorded(receiver, protocol, 'traces', compression, { spanCount: 2 })
      })

      test(`logs (${compression}): every record arrives as made`, async (t) => {
        const receiver = await exportWith(t, protocol, 'logs', compression, logs)
        assert.deepEqual(receiver.logs, expectedLogs())
        assertRecorded(receiver, protocol, 'logs', compression, { logCount: 2 })
      })

      test(`metrics (${compression}): ` +
        'sums, gauge, histogram, exponential histogram arrive with their points', async (t) => {
        const receiver = await exportWith(t, protocol, 'metrics', compression, resourceMetrics)
        const positive = receiver.metrics.find((m) => m.name === 'payment.amount').dataPoints[0].positive
        assert.equal(
          positive.bucketCounts.reduce((a, b) => a + b, 0),
          4,
          JSON.stringify(positive)
        )
        assert.deepEqual(defined([...receiver.metrics].sort(byName)), defined(expectedMetrics().sort(byName)))
        assertRecorded(receiver, protocol, 'metrics', compression, { metricCount: 5 })
      })
    }
  })
}

/** The one export request was recorded with its transport, content type, encoding and count. */
function assertRecorded (receiver, protocol, signal, compression, counts) {
  const { transport, contentType } = PROTOCOLS[protocol]
  assert.equal(receiver.exports.length, 1)
  const [record] = receiver.exports
  const expected = {
    signal,
    transport,
    contentType,
    code: 0,
    spanCount: 0,
    logCount: 0,
    metricCount: 0,
    ...counts,
    ...(transport === 'http' ? { httpStatus: 200, contentEncoding: compression === 'gzip' ? 'gzip' : 'identity' } : {})
  }
  const { bytes, headers, ...rest } = record
  assert.deepEqual(rest, expected)
  assert.ok(bytes > 100, `bytes ${bytes}`)
  assert.match(headers['user-agent'], /OTel-OTLP-Exporter-JavaScript\/0\.301\./)
}
