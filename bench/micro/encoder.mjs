// OTLP encoding in isolation, per span and per log record: the package's encoder beside upstream's
// serializers (otlp-transformer's ProtobufTraceSerializer / ProtobufLogsSerializer) on the same
// items, and the physical floor: copying the same bytes into a buffer. CPU time of this process,
// batches of 512 (the moderate preset's), the cases interleaved round by round, medians. The
// package's cases hand each body back as its exporter does once the send is over, so the next one
// is written into the same memory (sdk/export/protobuf/request-buffers.ts).
//   - spans: typical server spans (12 HTTP attributes), as the SDK's Tracer makes them;
//   - the span queue of encoded spans: each span written as it ends, then the request put
//     together by copying (what OTLP protobuf export does);
//   - log records: request.log lines as records (body, seven attributes, a trace context).
import { SeverityNumber } from '@opentelemetry/api'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { logRequestEncoder } from '../../dist/sdk/logs/otlp-log-encoder.js'
import { encodedSpanSerializer, spanRequestEncoder } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { encodedSpans } from '../../dist/sdk/traces/span-queue-encoding.js'
import { makeServerSpan } from '../pipeline/spans.mjs'

const BATCH = 512

function serverSpans (resource) {
  const spans = []
  const provider = new TracerProvider({
    resource,
    spanProcessors: [
      { onStart () {}, onEnd: (s) => spans.push(s), forceFlush: async () => {}, shutdown: async () => {} }
    ]
  })
  const tracer = provider.getTracer('fastify-otel-kit', '0.1.0')
  for (let i = 0; i < BATCH; i++) makeServerSpan(tracer)
  return spans
}

function logRecords (resource) {
  const scope = { name: 'fastify-otel-kit', version: '0.1.0' }
  return Array.from({ length: BATCH }, (_, i) => ({
    resource,
    instrumentationScope: scope,
    hrTime: [1_765_000_000, i * 1000],
    hrTimeObserved: [1_765_000_000, i * 1000],
    severityNumber: SeverityNumber.INFO,
    severityText: 'info',
    body: 'refund requested',
    attributes: {
      pid: 4242,
      hostname: 'payments-7d9f',
      reqId: `req-${i}`,
      orderId: 'ord-7421',
      amount: 49.99,
      'req.method': 'POST',
      'req.url': `/orders/${i}/refund`
    },
    droppedAttributesCount: 0,
    spanContext: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 },
    eventName: undefined
  }))
}

// A full collection before each case's round (not timed): a round pays for collecting its own
// garbage, never for the previous case's (upstream's serializer leaves far more of it).
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc')

const cpuMicros = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

export async function runEncoder ({ rounds, log }) {
  const resource = resourceFromAttributes({ 'service.name': 'bench', 'host.name': 'bench-host', 'process.pid': 4242 })
  const spans = serverSpans(resource)
  const records = logRecords(resource)
  const spanBytes = ProtobufTraceSerializer.serializeRequest(spans)
  const logBytes = ProtobufLogsSerializer.serializeRequest(records)
  const ours = { spans: spanRequestEncoder(), logs: logRequestEncoder() }
  // The queue of encoded spans, as a pipeline keeps it: one encoding writing span after span.
  const assembled = encodedSpanSerializer()
  const encoding = encodedSpans()
  const items = new Array(BATCH)
  const copyTarget = Buffer.allocUnsafe(Math.max(spanBytes.length, logBytes.length))
  const cases = [
    ['spans', "upstream's ProtobufTraceSerializer", () => ProtobufTraceSerializer.serializeRequest(spans), 200],
    ['spans', "the package's encoder", () => ours.spans.release(ours.spans.encode(spans)), 200],
    [
      'spans',
      "the package's queue of encoded spans (each written as it ends, the request copied together)",
      () => {
        for (let i = 0; i < BATCH; i++) {
          encoding.measure(spans[i])
          items[i] = encoding.commit(spans[i])
        }
        assembled.release(assembled.serializeRequest(items))
      },
      200
    ],
    ['spans', 'floor: copying the same bytes into a buffer', () => copyTarget.set(spanBytes), 20_000],
    ['log records', "upstream's ProtobufLogsSerializer", () => ProtobufLogsSerializer.serializeRequest(records), 200],
    ['log records', "the package's encoder", () => ours.logs.release(ours.logs.encode(records)), 200],
    ['log records', 'floor: copying the same bytes into a buffer', () => copyTarget.set(logBytes), 20_000]
  ]
  // Warm: every case compiled before any is measured.
  for (let i = 0; i < 3; i++) for (const [, , fn, n] of cases) for (let r = 0; r < n; r++) fn()
  const samples = cases.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (const [c, [, , fn, n]] of cases.entries()) {
      collectGarbage()
      const started = cpuMicros()
      for (let r = 0; r < n; r++) fn()
      samples[c].push((cpuMicros() - started) / (n * BATCH))
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
  const rows = cases.map(([items, name], c) => ({
    items,
    name,
    microsPerItem: Number(median(samples[c]).toFixed(3)),
    bytesPerItem: Math.round((items === 'spans' ? spanBytes.length : logBytes.length) / BATCH)
  }))
  for (const row of rows) {
    const upstream = rows.find((r) => r.items === row.items && r.name.startsWith("upstream's"))
    row.ratioToUpstream = Number((row.microsPerItem / upstream.microsPerItem).toFixed(3))
    log(
      `  ${row.items.padEnd(11)} ${row.name.padEnd(92)} ${row.microsPerItem.toFixed(3).padStart(7)} us/item ` +
        `(${row.bytesPerItem} B)`
    )
  }
  return rows
}
