// The trip home of a worker task's spans and log records, without a thread: the worker side
// encodes them into a reply (workers/worker/span-encoder.ts, relay-processor.ts, log-relay.ts),
// the reply is structured-cloned as postMessage would, and the main side decodes them
// (workers/main/span-decoder.ts, span-delivery.ts, log-delivery.ts). Every field is checked against
// what went in: for spans generated with every kind of attribute value, events, links, status,
// dropped counts, trace state, several scopes and late spans (a fast-check property), and for
// spans and records made by the real SDK providers with the relay processors.
import { createRequire } from 'node:module'
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { TraceState } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { LoggerProvider } from '@opentelemetry/sdk-logs'
import { AlwaysOnSampler, TracerProvider } from '@opentelemetry/sdk-trace'
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../dist/context/instrumentation-scope.js'
import { setLogSink } from '../../dist/sdk/logs/log-sink.js'
import { deliverLogRecords } from '../../dist/workers/main/log-delivery.js'
import { SpanDecoder } from '../../dist/workers/main/span-decoder.js'
import { deliverSpans } from '../../dist/workers/main/span-delivery.js'
import { isReply, REPLY_SPANS_AT, replyHeader } from '../../dist/workers/protocol/messages.js'
import { RECORD_FIELDS } from '../../dist/workers/protocol/relayed-logs.js'
import {
  clearLateRecords,
  lateRecords,
  MAX_LATE_RECORDS,
  RelayLogProcessor
} from '../../dist/workers/worker/log-relay.js'
import {
  clearLateSpans,
  lateSpans,
  RelayProcessor,
  TASK_RELAY,
  TaskRelay
} from '../../dist/workers/worker/relay-processor.js'
import { encodeSpan } from '../../dist/workers/worker/span-encoder.js'
import { plainSpan } from './unit-helpers.mjs'

// The package is CommonJS: the main side emits log records through the CommonJS API build.
const cjsApi = createRequire(import.meta.url)('@opentelemetry/api')

/** The reply's positions (the const enum Reply in workers/protocol/messages.ts: gone from the built module). */
const OK = 1
const VALUE = 2
const THREAD_ID = 3
const TASK_SPANS = 4
const LATE_SPANS = 5

const THREAD = 7
const DISPATCH_TRACE_ID = 'd'.repeat(32)
const NO_WINDOW = Object.freeze({ shift: undefined, notBefore: undefined, notAfter: undefined })

/**
 * What run-traced-task.ts's finish() makes of a task's relay and the late spans, cloned as
 * postMessage clones it.
 */
function replyOf (relay, late, value = 'result') {
  const reply = relay.fields
  reply[OK] = 1
  reply[VALUE] = value
  reply[TASK_SPANS] = relay.count
  if (late.count > 0) {
    reply[LATE_SPANS] = late.count
    reply.push(...late.fields)
  }
  const records = relay.records?.count ?? 0
  if (records > 0) reply.push(records, ...relay.records.fields)
  return structuredClone(reply)
}

const newLateBatch = () => ({ fields: [], count: 0, lastTraceId: '', lastScope: undefined })

/** What a processor needs besides its own callback. */
const NO_FLUSH = Object.freeze({ forceFlush: async () => {}, shutdown: async () => {} })

/** The decoder's view of a span context: trace state as its string. */
const stateOf = (traceState) => traceState?.serialize()
function comparable ({ record, scope }) {
  return {
    ...record,
    spanContext: { ...record.spanContext, traceState: stateOf(record.spanContext.traceState) },
    links: record.links.map((link) => ({
      ...link,
      context: { ...link.context, traceState: stateOf(link.context.traceState) }
    })),
    scope
  }
}

/** Attributes as they travel: keys whose value is undefined are left out. */
const defined = (attributes) =>
  Object.fromEntries(Object.entries(attributes ?? {}).filter(([, value]) => value !== undefined))

/** What the main side must read back for `span`, written from the span, field by field. */
function expected (span) {
  const context = span.spanContext()
  const scope = span.instrumentationScope
  const isPackage = scope.name === PACKAGE_NAME && scope.version === PACKAGE_VERSION && scope.schemaUrl === undefined
  return {
    name: span.name,
    kind: span.kind,
    spanContext: {
      traceId: context.traceId,
      spanId: context.spanId,
      traceFlags: context.traceFlags,
      isRemote: false,
      traceState: stateOf(context.traceState) || undefined
    },
    parentSpanContext:
      span.parentSpanContext === undefined
        ? undefined
        : {
            traceId: context.traceId,
            spanId: span.parentSpanContext.spanId,
            traceFlags: context.traceFlags,
            isRemote: false
          },
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status.message ? { code: span.status.code, message: span.status.message } : { code: span.status.code },
    attributes: { ...defined(span.attributes), 'thread.id': THREAD },
    links: span.links.map((link) => ({
      context: {
        traceId: link.context.traceId,
        spanId: link.context.spanId,
        traceFlags: link.context.traceFlags,
        traceState: stateOf(link.context.traceState) || undefined
      },
      ...(Object.keys(defined(link.attributes)).length > 0 ? { attributes: defined(link.attributes) } : {}),
      ...(link.droppedAttributesCount > 0 ? { droppedAttributesCount: link.droppedAttributesCount } : {})
    })),
    events: span.events.map((event) => ({
      name: event.name,
      time: event.time,
      attributes: defined(event.attributes),
      droppedAttributesCount: event.droppedAttributesCount ?? 0
    })),
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
    scope: isPackage
      ? { name: PACKAGE_NAME, version: PACKAGE_VERSION }
      : {
          name: scope.name,
          ...(scope.version ? { version: scope.version } : {}),
          ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {})
        }
  }
}

/** The decoded spans of a reply, task spans first, then late ones. */
function decodeAll (reply, window = NO_WINDOW) {
  const decoder = new SpanDecoder(reply, REPLY_SPANS_AT, reply[THREAD_ID], DISPATCH_TRACE_ID)
  const out = []
  for (let i = 0; i < reply[TASK_SPANS] + reply[LATE_SPANS]; i++) out.push(decoder.next(window))
  return { spans: out, end: decoder.position }
}

// ---- generated spans ----------------------------------------------------------------------

const hexId = (length) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length })
const traceIds = fc.oneof(fc.constant(DISPATCH_TRACE_ID), fc.constantFrom('a'.repeat(32), 'b'.repeat(32)), hexId(32))
const traceStates = fc.constantFrom(
  undefined,
  new TraceState('congo=t61rcWkgMzE'),
  new TraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'),
  new TraceState('tenant@vendor=opaque-value')
)
/** Scope objects are shared between spans as the SDK shares them: the encoder sends a repeat as one mark. */
const SCOPES = [
  { name: PACKAGE_NAME, version: PACKAGE_VERSION },
  { name: PACKAGE_NAME, version: PACKAGE_VERSION }, // equal, not the same object
  { name: PACKAGE_NAME, version: PACKAGE_VERSION, schemaUrl: 'https://opentelemetry.io/schemas/1.28.0' },
  { name: 'app' },
  { name: 'app', version: '2.1.0' },
  { name: '@opentelemetry/instrumentation-pg', version: '0.50.0', schemaUrl: 'https://opentelemetry.io/schemas/1.27.0' }
]
// No '__proto__' key: a plain object cannot hold one as an own attribute (the SDK's spans neither).
const attributeKey = fc.string({ minLength: 1, maxLength: 12 }).filter((key) => key !== '__proto__')
const attributeValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.double(), // NaN, -0 and the infinities included: structured clone keeps them
  fc.integer(),
  fc.boolean(),
  fc.constant(undefined), // left out on the way
  fc.array(fc.option(fc.string({ maxLength: 8 }), { nil: undefined }), { maxLength: 4 }),
  fc.array(fc.option(fc.double(), { nil: null }), { maxLength: 4 }),
  fc.array(fc.boolean(), { maxLength: 4 })
)
const attributes = fc.dictionary(attributeKey, attributeValue, { maxKeys: 5 })
const hrTime = fc.tuple(fc.integer({ min: 0, max: 2_000_000_000 }), fc.integer({ min: 0, max: 999_999_999 }))
const later = (start, [seconds, nanos]) => {
  const total = start[1] + nanos
  return [start[0] + seconds + Math.floor(total / 1e9), total % 1e9]
}
const durations = fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 999_999_999 }))

const generatedSpan = fc
  .record({
    name: fc.string({ maxLength: 30 }),
    kind: fc.constantFrom(SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER),
    traceId: traceIds,
    spanId: hexId(16),
    parentSpanId: fc.option(hexId(16), { nil: undefined }),
    traceFlags: fc.constantFrom(1, 3),
    traceState: traceStates,
    start: hrTime,
    duration: durations,
    status: fc.oneof(
      fc.constant({ code: SpanStatusCode.UNSET }),
      fc.constant({ code: SpanStatusCode.OK }),
      fc.record({ code: fc.constant(SpanStatusCode.ERROR), message: fc.string({ minLength: 1, maxLength: 20 }) }),
      fc.constant({ code: SpanStatusCode.ERROR })
    ),
    attributes,
    events: fc.array(
      fc.record({
        name: fc.string({ maxLength: 10 }),
        offset: durations,
        attributes: fc.option(attributes, { nil: undefined }),
        droppedAttributesCount: fc.option(fc.nat(5), { nil: undefined })
      }),
      { maxLength: 3 }
    ),
    links: fc.array(
      fc.record({
        traceId: hexId(32),
        spanId: hexId(16),
        traceFlags: fc.constantFrom(0, 1),
        traceState: traceStates,
        attributes: fc.option(attributes, { nil: undefined }),
        droppedAttributesCount: fc.option(fc.nat(5), { nil: undefined })
      }),
      { maxLength: 3 }
    ),
    dropped: fc.tuple(fc.nat(10), fc.nat(10), fc.nat(10)),
    scope: fc.nat(SCOPES.length - 1)
  })
  .map((g) => {
    const startTime = g.start
    const span = {
      name: g.name,
      kind: g.kind,
      spanContext: () => ({ traceId: g.traceId, spanId: g.spanId, traceFlags: g.traceFlags, traceState: g.traceState }),
      parentSpanContext:
        g.parentSpanId === undefined ? undefined : { traceId: g.traceId, spanId: g.parentSpanId, traceFlags: 1 },
      startTime,
      endTime: later(startTime, g.duration),
      status: g.status,
      attributes: g.attributes,
      events: g.events.map((e) => ({
        name: e.name,
        time: later(startTime, e.offset),
        ...(e.attributes === undefined ? {} : { attributes: e.attributes }),
        ...(e.droppedAttributesCount === undefined ? {} : { droppedAttributesCount: e.droppedAttributesCount })
      })),
      links: g.links.map((l) => ({
        context: {
          traceId: l.traceId,
          spanId: l.spanId,
          traceFlags: l.traceFlags,
          ...(l.traceState ? { traceState: l.traceState } : {})
        },
        ...(l.attributes === undefined ? {} : { attributes: l.attributes }),
        ...(l.droppedAttributesCount === undefined ? {} : { droppedAttributesCount: l.droppedAttributesCount })
      })),
      droppedAttributesCount: g.dropped[0],
      droppedEventsCount: g.dropped[1],
      droppedLinksCount: g.dropped[2],
      instrumentationScope: SCOPES[g.scope]
    }
    return span
  })

describe('spans: encoder to decoder', () => {
  test('any spans, task and late, come back field by field after the structured clone', () => {
    fc.assert(
      fc.property(
        fc.array(generatedSpan, { maxLength: 6 }),
        fc.array(generatedSpan, { maxLength: 4 }),
        (taskSpans, late) => {
          const relay = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
          for (const span of taskSpans) encodeSpan(relay, span, undefined)
          const lateBatch = newLateBatch()
          for (const span of late) encodeSpan(lateBatch, span, undefined)
          const reply = replyOf(relay, lateBatch)
          assert.ok(isReply(reply))
          assert.equal(reply[TASK_SPANS], taskSpans.length)
          const { spans, end } = decodeAll(reply)
          assert.equal(end, reply.length, 'the decoder reads exactly the spans, nothing less, nothing more')
          assert.deepEqual(spans.map(comparable), [...taskSpans, ...late].map(expected))
        }
      ),
      { numRuns: 200 }
    )
  })

  test('a repeated trace id and scope travel as marks; a task span of the dispatch trace carries no trace id', () => {
    const scope = SCOPES[3]
    const span = (spanId, traceId = DISPATCH_TRACE_ID) =>
      plainSpan({ name: 's', spanContext: () => ({ traceId, spanId, traceFlags: 1 }), instrumentationScope: scope })
    const relay = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
    encodeSpan(relay, span('1'.repeat(16)), undefined)
    encodeSpan(relay, span('2'.repeat(16)), undefined)
    const fields = relay.fields.slice(REPLY_SPANS_AT)
    // name, kind, traceId: '' (the dispatch's), ...; then the scope spelled out once, a mark after.
    assert.equal(fields[2], '')
    assert.deepEqual(fields.slice(16, 19), ['app', '', ''])
    const second = fields.slice(22)
    assert.equal(second[2], '')
    assert.equal(second[16], 0, 'the same scope again: one mark (SAME_SCOPE)')
    const pkg = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
    encodeSpan(pkg, { ...span('3'.repeat(16)), instrumentationScope: SCOPES[1] }, undefined)
    assert.equal(pkg.fields[REPLY_SPANS_AT + 16], 1, "the package's own scope: one mark (PACKAGE_SCOPE)")
  })

  test("times move by the dispatch span's shift and stay inside its window; an end never before the start", () => {
    const span = {
      name: 'timed',
      kind: 0,
      spanContext: () => ({ traceId: DISPATCH_TRACE_ID, spanId: '1'.repeat(16), traceFlags: 1 }),
      parentSpanContext: undefined,
      startTime: [100, 500_000_000],
      endTime: [101, 0],
      status: { code: 0 },
      attributes: {},
      events: [{ name: 'e', time: [100, 900_000_000] }],
      links: [],
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
      instrumentationScope: SCOPES[0]
    }
    const decodeWith = (window) => {
      const relay = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
      encodeSpan(relay, span, undefined)
      return decodeAll(replyOf(relay, newLateBatch()), window).spans[0].record
    }
    const shifted = decodeWith({ shift: [0, 250_000_000], notBefore: undefined, notAfter: undefined })
    const times = (record) => [record.startTime, record.endTime, record.events[0].time]
    assert.deepEqual(times(shifted), [[100, 750_000_000], [101, 250_000_000], [101, 150_000_000]])
    // A negative shift, in the normalised form hrTimeDuration gives: -0.75 s is [-1, 250_000_000].
    const back = decodeWith({ shift: [-1, 250_000_000], notBefore: undefined, notAfter: undefined })
    assert.deepEqual([back.startTime, back.endTime], [[99, 750_000_000], [100, 250_000_000]])
    const clamped = decodeWith({ shift: undefined, notBefore: [100, 600_000_000], notAfter: [100, 800_000_000] })
    assert.deepEqual(times(clamped), [[100, 600_000_000], [100, 800_000_000], [100, 800_000_000]])
    // A window that ends before the span starts: both ends at the window's end.
    const inverted = decodeWith({ shift: undefined, notBefore: undefined, notAfter: [100, 0] })
    assert.deepEqual([inverted.startTime, inverted.endTime], [[100, 0], [100, 0]])
    // An end given before the start (a time of the user's own): the end is the start.
    const backwards = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
    encodeSpan(backwards, { ...span, endTime: [100, 100_000_000] }, undefined)
    const [{ record }] = decodeAll(replyOf(backwards, newLateBatch())).spans
    assert.deepEqual([record.startTime, record.endTime], [[100, 500_000_000], [100, 500_000_000]])
    // The encoder's own shift (the worker's re-basing) moves every time the same way.
    const relay = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
    encodeSpan(relay, span, [0, 1_000_000])
    const rebased = decodeAll(replyOf(relay, newLateBatch())).spans[0].record
    assert.deepEqual(times(rebased), [[100, 501_000_000], [101, 1_000_000], [100, 901_000_000]])
  })

  test("delivery: the task's spans go into the dispatch span's window; late ones keep their times", () => {
    const timed = (spanId, start, end) => ({
      name: spanId,
      kind: 0,
      spanContext: () => ({ traceId: DISPATCH_TRACE_ID, spanId: spanId.repeat(16), traceFlags: 1 }),
      parentSpanContext: undefined,
      startTime: start,
      endTime: end,
      status: { code: 0 },
      attributes: {},
      events: [],
      links: [],
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
      instrumentationScope: SCOPES[0]
    })
    const relay = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
    encodeSpan(relay, timed('1', [50, 0], [60, 0]), undefined)
    const late = newLateBatch()
    encodeSpan(late, timed('2', [10, 0], [20, 0]), undefined)
    const received = []
    const sink = { processor: { ...NO_FLUSH, onStart () {}, onEnd: (span) => received.push(span) }, resource: {} }
    const window = { shift: [1, 0], notBefore: [55, 0], notAfter: [58, 0] }
    deliverSpans(replyOf(relay, late), DISPATCH_TRACE_ID, window, sink)
    assert.deepEqual(
      received.map((s) => [s.name, s.startTime, s.endTime]),
      [
        ['1', [55, 0], [58, 0]],
        ['2', [11, 0], [21, 0]]
      ]
    )
  })

  test(
    "a link's isRemote comes home",
    () => {
      const relay = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
      const remote = { traceId: 'e'.repeat(32), spanId: 'f'.repeat(16), traceFlags: 1, isRemote: true }
      encodeSpan(relay, {
        name: 'consume',
        kind: SpanKind.CONSUMER,
        spanContext: () => ({ traceId: DISPATCH_TRACE_ID, spanId: '1'.repeat(16), traceFlags: 1 }),
        parentSpanContext: undefined,
        startTime: [1, 0],
        endTime: [2, 0],
        status: { code: 0 },
        attributes: {},
        events: [],
        links: [{ context: remote }],
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
        instrumentationScope: SCOPES[3]
      }, undefined)
      const [{ record }] = decodeAll(replyOf(relay, newLateBatch())).spans
      assert.equal(record.links[0].context.isRemote, true)
    }
  )
})

describe('spans of the real SDK through the relay processor, delivered to the main pipeline', () => {
  beforeEach(() => clearLateSpans())

  test('task spans and a late one reach the main processor with their fields, scope and thread.id', () => {
    const provider = new TracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new RelayProcessor()] })
    const tracer = provider.getTracer('app', '3.0.0')
    const dispatch = { traceId: DISPATCH_TRACE_ID, spanId: '0'.repeat(15) + '1', traceFlags: 1, isRemote: true }
    const relay = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
    const taskContext = trace.setSpanContext(ROOT_CONTEXT.setValue(TASK_RELAY, relay), dispatch)

    const parent = tracer.startSpan('render', { kind: SpanKind.INTERNAL, attributes: { 'page.count': 3 } }, taskContext)
    const child = tracer.startSpan(
      'resize',
      {
        attributes: { sizes: [1, 2, 3], 'image.format': 'png', ok: true },
        links: [
          { context: { traceId: 'c'.repeat(32), spanId: 'c'.repeat(16), traceFlags: 0 }, attributes: { why: 'batch' } }
        ]
      },
      trace.setSpan(taskContext, parent)
    )
    child.addEvent('chunk', { index: 1 })
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'too big' })
    child.end()
    const lingering = tracer.startSpan('flush', {}, trace.setSpan(taskContext, parent))
    parent.end()
    relay.open = false // the task replied: what ends now is late
    lingering.end()
    assert.equal(relay.count, 2)
    assert.equal(lateSpans.count, 1)
    const late = { ...lateSpans, fields: [...lateSpans.fields] }
    const reply = replyOf(relay, late)

    const received = []
    const sink = {
      processor: { ...NO_FLUSH, onStart () {}, onEnd: (span) => received.push(span) },
      resource: { attributes: {} }
    }
    const window = { shift: undefined, notBefore: undefined, notAfter: undefined }
    const end = deliverSpans(reply, DISPATCH_TRACE_ID, window, sink)
    assert.equal(end, reply.length, 'the spans end the reply: no records')

    assert.deepEqual(received.map((s) => s.name), ['resize', 'render', 'flush'])
    const [resize, render, flush] = received
    for (const span of received) {
      assert.equal(span.spanContext().traceId, DISPATCH_TRACE_ID)
      assert.equal(span.attributes['thread.id'], THREAD)
      assert.deepEqual(span.instrumentationScope, { name: 'app', version: '3.0.0' })
      assert.equal(span.resource, sink.resource)
    }
    assert.equal(render.parentSpanContext.spanId, dispatch.spanId)
    assert.equal(resize.parentSpanContext.spanId, render.spanContext().spanId)
    assert.equal(flush.parentSpanContext.spanId, render.spanContext().spanId)
    assert.deepEqual(resize.attributes, { sizes: [1, 2, 3], 'image.format': 'png', ok: true, 'thread.id': THREAD })
    assert.deepEqual(resize.status, { code: SpanStatusCode.ERROR, message: 'too big' })
    assert.deepEqual(resize.events.map((e) => [e.name, e.attributes]), [['chunk', { index: 1 }]])
    assert.deepEqual(resize.links.map((l) => [l.context.spanId, l.attributes]), [['c'.repeat(16), { why: 'batch' }]])
    // Times may be re-based onto the precise clock (by at most 2 ms); durations are kept.
    const durationOf = (s) => (s.endTime[0] - s.startTime[0]) * 1e9 + (s.endTime[1] - s.startTime[1])
    assert.equal(durationOf(resize), durationOf(child), 'the duration survives re-basing')
    const nanos = (time) => time[0] * 1e9 + time[1]
    assert.ok(Math.abs(nanos(resize.startTime) - nanos(child.startTime)) <= 2e6, 're-based by at most 2 ms')
  })
})

describe('log records: relay to delivery', () => {
  const emitted = []
  // The main side's global LoggerProvider: what deliverLogRecords hands each record to.
  const captureProvider = {
    getLogger: (name, version, options) => ({
      emit: (record) => emitted.push({ scope: { name, version, options }, record })
    })
  }
  before(() => cjsApi.logs.setGlobalLoggerProvider(captureProvider))
  after(() => cjsApi.logs.disable())
  beforeEach(() => {
    emitted.length = 0
    clearLateRecords()
  })

  /** A worker-side LoggerProvider with the relay processor, and a second processor that keeps what was emitted. */
  function workerLogs () {
    const seen = []
    const provider = new LoggerProvider({
      processors: [new RelayLogProcessor(), { ...NO_FLUSH, onEmit: (record) => seen.push(record) }]
    })
    return { provider, seen }
  }

  test('records of every body kind come home field by field, in the trace they were written in', () => {
    const { provider, seen } = workerLogs()
    const relay = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
    const span = { traceId: DISPATCH_TRACE_ID, spanId: '2'.repeat(16), traceFlags: 1 }
    const inTask = trace.setSpanContext(ROOT_CONTEXT.setValue(TASK_RELAY, relay), span)
    const logger = provider.getLogger('worker-logger', '1.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.28.0' })
    const bodies = [
      'a line',
      42,
      true,
      { nested: { list: [1, 'two', null] } },
      [1, 2],
      new Uint8Array([1, 2, 3]),
      undefined
    ]
    bodies.forEach((body, i) =>
      logger.emit({
        body,
        severityNumber: i === 0 ? undefined : 9,
        severityText: i === 0 ? undefined : 'INFO',
        eventName: i === 1 ? 'app.event' : undefined,
        attributes: { n: i, tags: ['x', 'y'], map: { deep: i } },
        timestamp: [1000 + i, 5],
        observedTimestamp: [2000 + i, 6],
        context: inTask
      })
    )
    provider.getLogger('quiet').emit({ body: 'outside any task', context: ROOT_CONTEXT })
    assert.equal(relay.records.count, bodies.length)
    assert.equal(lateRecords.count, 0, 'a record written outside any task is not kept')
    const reply = replyOf(relay, newLateBatch())
    const at = REPLY_SPANS_AT // no spans in this reply
    assert.equal(reply.length, at + 1 + bodies.length * RECORD_FIELDS)
    deliverLogRecords(reply, at)

    assert.equal(emitted.length, bodies.length)
    emitted.forEach(({ scope, record }, i) => {
      const original = seen[i]
      assert.deepEqual(scope, { name: 'worker-logger', version: '1.0.0', options: { schemaUrl: 'https://opentelemetry.io/schemas/1.28.0' } })
      assert.deepEqual(record.timestamp, original.hrTime)
      assert.deepEqual(record.observedTimestamp, original.hrTimeObserved)
      assert.equal(record.severityNumber, original.severityNumber)
      assert.equal(record.severityText, original.severityText)
      assert.deepEqual(record.body, original.body)
      assert.equal('body' in record, original.body !== undefined)
      assert.equal(record.eventName, original.eventName)
      assert.deepEqual(record.attributes, { ...original.attributes, 'thread.id': THREAD })
      assert.deepEqual(trace.getSpanContext(record.context), { ...span, isRemote: false })
    })
  })

  test('a record with no span and a scope without version comes home with neither', () => {
    const { provider } = workerLogs()
    const relay = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
    provider.getLogger('bare').emit({ body: 'b', context: ROOT_CONTEXT.setValue(TASK_RELAY, relay) })
    deliverLogRecords(replyOf(relay, newLateBatch()), REPLY_SPANS_AT)
    const [{ scope, record }] = emitted
    assert.deepEqual(scope, { name: 'bare', version: undefined, options: undefined })
    assert.equal(trace.getSpanContext(record.context), undefined)
  })

  test('records after the task replied wait as late ones, bounded, and follow the next reply', () => {
    const { provider } = workerLogs()
    const closed = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
    closed.open = false
    const logger = provider.getLogger('late')
    const afterReply = ROOT_CONTEXT.setValue(TASK_RELAY, closed)
    for (let i = 0; i < MAX_LATE_RECORDS + 5; i++) logger.emit({ body: i, context: afterReply })
    assert.equal(lateRecords.count, MAX_LATE_RECORDS, 'past the bound a late record is not kept')
    assert.equal(lateRecords.fields.length, MAX_LATE_RECORDS * RECORD_FIELDS)
  })

  test("a reply cut short: delivery stops at the last whole record and emits nothing past the reply's end", () => {
    const { provider } = workerLogs()
    const relay = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
    const logger = provider.getLogger('cut')
    for (let i = 0; i < 3; i++) logger.emit({ body: i, context: ROOT_CONTEXT.setValue(TASK_RELAY, relay) })
    const reply = replyOf(relay, newLateBatch())
    deliverLogRecords(reply.slice(0, reply.length - 1), REPLY_SPANS_AT)
    assert.deepEqual(emitted.map((e) => e.record.body), [0, 1])
    emitted.length = 0
    deliverLogRecords(reply.slice(0, REPLY_SPANS_AT), REPLY_SPANS_AT)
    assert.deepEqual(emitted, [], 'a reply without records')
  })

  test(
    "a worker record's dropped attribute count comes home to the package's log queue (the Logs API cannot carry it)",
    () => {
      const relay = new TaskRelay(replyHeader(THREAD), DISPATCH_TRACE_ID)
      const provider = new LoggerProvider({
        logRecordLimits: { attributeCountLimit: 1 },
        processors: [new RelayLogProcessor()]
      })
      const inTask = ROOT_CONTEXT.setValue(TASK_RELAY, relay)
      provider.getLogger('limited').emit({ body: 'x', attributes: { a: 1, b: 2, c: 3 }, context: inTask })
      assert.equal(relay.records.fields[11], 2, 'the worker side knows two were dropped')
      // The package's own log queue (set when the package exports logs): the record keeps the count,
      // and this pipeline's limits apply on top (one attribute kept of the worker's a and thread.id).
      const offered = []
      const resource = resourceFromAttributes({ 'service.name': 'relay-test' })
      const scope = Object.freeze({ name: PACKAGE_NAME, version: PACKAGE_VERSION })
      const limits = { attributeCountLimit: 1, attributeValueLengthLimit: Infinity }
      setLogSink({ resource, scope, limits, offer: (r) => offered.push(r) })
      try {
        deliverLogRecords(replyOf(relay, newLateBatch()), REPLY_SPANS_AT)
        assert.equal(offered.length, 1)
        assert.equal(offered[0].droppedAttributesCount, 3, 'two dropped in the worker, thread.id dropped here')
        assert.deepEqual(offered[0].attributes, { a: 1 })
        assert.equal(offered[0].resource, resource)
        assert.equal(offered[0].body, 'x')
      } finally {
        setLogSink(undefined)
      }
      // Through the Logs API (an application's own LoggerProvider) the count cannot travel: the API's
      // emit() has no field for it.
      const received = []
      cjsApi.logs.disable()
      cjsApi.logs.setGlobalLoggerProvider(
        new LoggerProvider({ processors: [{ ...NO_FLUSH, onEmit: (r) => received.push(r) }] })
      )
      try {
        deliverLogRecords(replyOf(relay, newLateBatch()), REPLY_SPANS_AT)
        assert.equal(received[0].droppedAttributesCount, 0)
      } finally {
        cjsApi.logs.disable()
        cjsApi.logs.setGlobalLoggerProvider(captureProvider)
      }
    }
  )
})
