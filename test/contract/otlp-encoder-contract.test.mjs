// The package's OTLP encoder writes spans and log records itself, in place of upstream's
// ProtobufTraceSerializer and ProtobufLogsSerializer (docs/internals/upstream-parts.md, "The OTLP
// encoder"). What a collector reads must not depend on which of the two wrote it: randomly
// generated batches (every attribute value type, events, links, status, flags, trace state,
// several resources and scopes) are encoded by both, decoded with the OTLP protobuf definitions
// (opentelemetry-proto v1.7.0, the version otlp-transformer 0.301 is generated against, vendored
// under test/fixtures/opentelemetry-proto/) and compared field by field. The package's own
// receiver decodes nothing here.
import { SeverityNumber, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api'
import { TraceState } from '@opentelemetry/core'
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import protobuf from 'protobufjs'
import { logRequestEncoder } from '../../dist/sdk/logs/otlp-log-encoder.js'
import { spanRequestEncoder } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { plainSpan } from '../unit/unit-helpers.mjs'

const protos = fileURLToPath(new URL('../fixtures/opentelemetry-proto/', import.meta.url))
const root = new protobuf.Root()
root.resolvePath = (_origin, target) => protos + target
root.loadSync([
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto'
])
const TraceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest')
const LogsRequest = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest')

/** Every field as decoded, 64-bit integers as strings, bytes as hex, without defaults filled in. */
function decode (type, bytes) {
  const message = type.decode(bytes)
  return JSON.parse(
    JSON.stringify(type.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false }), (_, v) =>
      typeof v === 'number' && !Number.isFinite(v) ? String(v) : v
    )
  )
}

/** Decoded with the type, also -0 and NaN compared exactly (JSON would turn both into 0 / null). */
function decodeExact (type, bytes) {
  return type.toObject(type.decode(bytes), { longs: String, enums: Number, bytes: String, defaults: false })
}

const hex = (bytes) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'))
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.string({ maxLength: 300 })
)
const hrTime = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 999_999_999 }))

/** Numbers where the int / double boundary and 64-bit encoding are tested. */
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0, -0, 1, -1, 2 ** 31, 2 ** 32, -(2 ** 32), 2 ** 53, -(2 ** 53),
    2 ** 63, -(2 ** 63), 2 ** 64, NaN, Infinity, -Infinity
  ),
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
  fc.double({ min: -(2 ** 70), max: 2 ** 70 }).map(Math.trunc)
)
const { anyValue } = fc.letrec((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('anyValue'), { maxLength: 4 }),
    fc.dictionary(text, tie('anyValue'), { maxKeys: 4 })
  )
}))
const attributes = fc.dictionary(text, anyValue, { maxKeys: 8 })
const traceState = fc.option(
  fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_*/-]{0,8}$/), fc.stringMatching(/^[!-+--<>-~]{1,8}$/)), {
    maxLength: 3
  }).map((pairs) => new TraceState(pairs.map(([k, v]) => `${k}=${v}`).join(','))),
  { nil: undefined }
)
const spanContext = fc.record({
  traceId: hex(16),
  spanId: hex(8),
  traceFlags: fc.oneof(fc.constantFrom(TraceFlags.NONE, TraceFlags.SAMPLED), fc.integer({ min: 0, max: 255 })),
  isRemote: fc.option(fc.boolean(), { nil: undefined }),
  traceState
})

/** Resources and scopes as a batch shares them: by identity, a few of each. */
const resources = fc
  .array(fc.tuple(attributes, fc.option(text, { nil: undefined })), { minLength: 1, maxLength: 3 })
  .map((list) =>
    list.map(([attrs, schemaUrl]) => resourceFromAttributes(attrs, schemaUrl === undefined ? {} : { schemaUrl }))
  )
const scopes = fc.array(
  fc.record(
    {
      name: text,
      version: fc.option(text, { nil: undefined }),
      schemaUrl: fc.option(text, { nil: undefined }),
      attributes: fc.option(attributes, { nil: undefined })
    },
    { requiredKeys: ['name'] }
  ),
  { minLength: 1, maxLength: 3 }
)

const event = fc.record({
  name: text,
  time: hrTime,
  attributes: fc.option(attributes, { nil: undefined }),
  droppedAttributesCount: fc.option(fc.nat(1000), { nil: undefined })
})
const link = fc.record({
  context: spanContext,
  attributes: fc.option(attributes, { nil: undefined }),
  droppedAttributesCount: fc.option(fc.nat(1000), { nil: undefined })
})

/** A ReadableSpan as any processor hands it to an exporter. */
const span = (shared) =>
  fc
    .record({
      context: spanContext,
      parent: fc.option(spanContext, { nil: undefined }),
      name: text,
      kind: fc.constantFrom(SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER),
      startTime: hrTime,
      endTime: hrTime,
      attributes,
      events: fc.array(event, { maxLength: 3 }),
      links: fc.array(link, { maxLength: 3 }),
      status: fc.oneof(
        fc.record({ code: fc.constantFrom(SpanStatusCode.UNSET, SpanStatusCode.OK) }),
        fc.record({ code: fc.constant(SpanStatusCode.ERROR), message: fc.option(text, { nil: undefined }) })
      ),
      dropped: fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000)),
      resource: fc.nat(shared.resources.length - 1),
      scope: fc.nat(shared.scopes.length - 1)
    })
    .map((s) => ({
      name: s.name,
      kind: s.kind,
      spanContext: () => s.context,
      parentSpanContext: s.parent,
      startTime: s.startTime,
      endTime: s.endTime,
      duration: [0, 0],
      ended: true,
      status: s.status,
      attributes: s.attributes,
      links: s.links,
      events: s.events,
      droppedAttributesCount: s.dropped[0],
      droppedEventsCount: s.dropped[1],
      droppedLinksCount: s.dropped[2],
      resource: shared.resources[s.resource],
      instrumentationScope: shared.scopes[s.scope]
    }))

const logRecord = (shared) =>
  fc
    .record({
      hrTime,
      hrTimeObserved: hrTime,
      severityNumber: fc.option(
        fc.oneof(
          fc.constantFrom(...Object.values(SeverityNumber).filter((v) => typeof v === 'number')),
          fc.integer({ min: -5, max: 40 })
        ),
        { nil: undefined }
      ),
      severityText: fc.option(text, { nil: undefined }),
      body: fc.option(anyValue, { nil: undefined }),
      attributes,
      droppedAttributesCount: fc.nat(1000),
      spanContext: fc.option(spanContext, { nil: undefined }),
      eventName: fc.option(text, { nil: undefined }),
      resource: fc.nat(shared.resources.length - 1),
      scope: fc.nat(shared.scopes.length - 1)
    })
    .map((r) => ({ ...r, resource: shared.resources[r.resource], instrumentationScope: shared.scopes[r.scope] }))

const batchOf = (item) =>
  fc
    .record({ resources, scopes })
    .chain((shared) => fc.array(item(shared), { maxLength: 12 }))

test('spans: the package encoder and ProtobufTraceSerializer decode to the same messages, field by field', () => {
  const ours = spanRequestEncoder()
  fc.assert(
    fc.property(batchOf(span), (spans) => {
      const theirs = ProtobufTraceSerializer.serializeRequest(spans)
      const mine = ours.encode(spans)
      assert.deepStrictEqual(decode(TraceRequest, mine), decode(TraceRequest, theirs))
      assert.deepStrictEqual(decodeExact(TraceRequest, mine), decodeExact(TraceRequest, theirs))
    }),
    { numRuns: 300 }
  )
})

test('log records: the package encoder and ProtobufLogsSerializer decode to the same messages, field by field', () => {
  const ours = logRequestEncoder()
  fc.assert(
    fc.property(batchOf(logRecord), (records) => {
      const theirs = ProtobufLogsSerializer.serializeRequest(records)
      const mine = ours.encode(records)
      assert.deepStrictEqual(decode(LogsRequest, mine), decode(LogsRequest, theirs))
      assert.deepStrictEqual(decodeExact(LogsRequest, mine), decodeExact(LogsRequest, theirs))
    }),
    { numRuns: 300 }
  )
})

test('a batch that needs long lengths (a 20 KB attribute, 300 spans) decodes the same', () => {
  const resource = resourceFromAttributes({ 'service.name': 'contract' })
  const scope = { name: 'contract', version: '1.0.0' }
  const spans = Array.from({ length: 300 }, (_, i) => plainSpan({
    name: `span ${i}`,
    kind: SpanKind.SERVER,
    startTime: [1_700_000_000, i],
    endTime: [1_700_000_001, i],
    attributes: { long: 'é'.repeat(i === 7 ? 10_000 : 10), i },
    resource,
    instrumentationScope: scope
  }))
  const mine = spanRequestEncoder().encode(spans)
  const theirs = ProtobufTraceSerializer.serializeRequest(spans)
  assert.deepStrictEqual(decode(TraceRequest, mine), decode(TraceRequest, theirs))
  assert.equal(decode(TraceRequest, mine).resourceSpans[0].scopeSpans[0].spans.length, 300)
})

test('string attributes around the lengths where the encoder changes how it writes them decode the same', () => {
  // Short ASCII pairs are written with one-byte lengths known in advance; from 32 characters the
  // value goes through Node's encoder, which must also catch a value that is not ASCII.
  const values = []
  for (const length of [15, 16, 31, 32, 33, 60, 100, 126]) {
    values.push('a'.repeat(length), `${'a'.repeat(length - 1)}é`, `é${'a'.repeat(length - 1)}`, '€'.repeat(length))
    values.push(`${'a'.repeat(length - 1)}\ud800`, `\udc00${'a'.repeat(length - 1)}`)
  }
  const resource = resourceFromAttributes({ 'service.name': 'contract' })
  const scope = { name: 'contract', version: '1.0.0' }
  const spans = values.map((value, i) => plainSpan({
    name: `span ${i}`,
    kind: SpanKind.INTERNAL,
    parentSpanContext: {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true
    },
    startTime: [1_700_000_000, i],
    endTime: [1_700_000_001, i],
    attributes: { k: value, 'user_agent.original': value },
    resource,
    instrumentationScope: scope
  }))
  const mine = spanRequestEncoder().encode(spans)
  const theirs = ProtobufTraceSerializer.serializeRequest(spans)
  assert.deepStrictEqual(decode(TraceRequest, mine), decode(TraceRequest, theirs))
  const decoded = decode(TraceRequest, mine).resourceSpans[0].scopeSpans[0].spans
  assert.equal(decoded.length, values.length)
})

test('an empty batch is an empty request, as upstream writes it', () => {
  assert.equal(spanRequestEncoder().encode([]).length, 0)
  assert.equal(ProtobufTraceSerializer.serializeRequest([]).length, 0)
})
