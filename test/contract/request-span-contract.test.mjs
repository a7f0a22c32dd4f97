// The request span is built without the SDK's Tracer (for speed); it must behave exactly as an SDK
// span does. One scenario runs against both and the exported results are compared.
import { SpanStatusCode, trace } from '@opentelemetry/api'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { tracedApp } from '../helpers.mjs'

const linkTarget = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }

/** Everything a user might do to a span, including the mistakes. */
function exercise (span) {
  span.setAttribute('order.id', 'ord-1')
  span.setAttribute('amount', 49.99)
  span.setAttribute('order.id', 'ord-2') // a key set again keeps its place, takes the new value
  span.setAttribute('ratio', Number.NaN)
  span.setAttribute('tags', ['a', 'b'])
  // SDK 3 takes any AnyValue as an attribute (maps, null, mixed arrays, bytes); what is not one is dropped.
  span.setAttribute('map', { nested: true, list: [1, 'two'] })
  span.setAttribute('empty', null)
  span.setAttribute('bytes', new Uint8Array([1, 2, 3]))
  span.setAttribute('bad.date', new Date(0))
  span.setAttribute('bad.function', () => 1)
  span.setAttribute('bad.bigint', 10n)
  span.setAttribute('', 'empty key')
  span.setAttributes({ 'bulk.one': 1, 'bulk.two': true, 'bulk.bad': [1, 'mixed'] })
  span.addEvent('plain')
  // Event attributes stay simple values: the map is dropped and counted.
  span.addEvent('with-attributes', { step: 2, bad: {} })
  span.addEvent('with-date', new Date(Date.now()))
  span.addEvent('with-hrtime', { n: 1 }, [Math.floor(Date.now() / 1000), 5])
  span.addLink({ context: linkTarget, attributes: { reason: 'retry of' } })
  span.addLinks([{ context: linkTarget }])
  span.recordException(Object.assign(new Error('declined'), { code: 'CARD_DECLINED' }))
  span.recordException('plain string failure')
  span.recordException({})
  span.setStatus({ code: SpanStatusCode.ERROR, message: 42 })
  span.setStatus({ code: SpanStatusCode.UNSET })
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'first failure' })
  span.setStatus({ code: SpanStatusCode.OK })
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'OK is final' })
  span.updateName('renamed')
}

function afterEnd (span) {
  span.end()
  span.setAttribute('after.end', 1)
  span.addEvent('after-end')
  span.updateName('too late')
}

function comparable (span, ownKeys) {
  const pick = (attributes) => Object.fromEntries(Object.entries(attributes).filter(([k]) => ownKeys.includes(k)))
  return {
    name: span.name,
    attributes: pick(span.attributes),
    events: span.events.map((e) => ({
      name: e.name,
      attributes: {
        ...e.attributes,
        'exception.stacktrace': e.attributes?.['exception.stacktrace'] === undefined ? undefined : 'present'
      },
      dropped: e.droppedAttributesCount
    })),
    links: span.links,
    status: span.status,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
    ended: span.ended,
    scope: span.instrumentationScope.name,
    resource: span.resource.attributes['service.name'],
    durationNonNegative: span.duration[0] >= 0 && span.duration[1] >= 0
  }
}

test('the request span and an SDK span give the same result for the same operations', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/contract', async (request) => {
    exercise(request.otel.span)
    const sdkSpan = app.otel.tracer.startSpan('sdk', {}, request.otel.context)
    exercise(sdkSpan)
    afterEnd(sdkSpan)
    return 'ok'
  })
  await app.inject({ url: '/contract' })
  const all = await spans()
  const ours = all.find((s) => s.parentSpanContext === undefined)
  const sdk = all.find((s) => s.parentSpanContext !== undefined)
  assert.notEqual(ours.constructor, sdk.constructor, 'the request span should not come from the SDK tracer')
  const ownKeys = [
    'order.id',
    'amount',
    'ratio',
    'tags',
    'map',
    'empty',
    'bytes',
    'bad.date',
    'bad.function',
    'bad.bigint',
    '',
    'bulk.one',
    'bulk.two',
    'bulk.bad',
    'after.end'
  ]
  assert.deepEqual(comparable(ours, ownKeys), comparable(sdk, ownKeys))
  // And what the scenario produced, spelled out once.
  assert.deepEqual(comparable(ours, ownKeys).attributes, {
    'order.id': 'ord-2',
    amount: 49.99,
    ratio: Number.NaN,
    tags: ['a', 'b'],
    map: { nested: true, list: [1, 'two'] },
    empty: null,
    bytes: new Uint8Array([1, 2, 3]),
    'bulk.one': 1,
    'bulk.two': true,
    'bulk.bad': [1, 'mixed']
  })
  assert.deepEqual(ours.events[1].attributes, { step: 2 })
  assert.equal(ours.events[1].droppedAttributesCount, 1)
  assert.deepEqual(ours.status, { code: SpanStatusCode.OK })
  assert.deepEqual(
    ours.events.map((e) => e.name),
    ['plain', 'with-attributes', 'with-date', 'with-hrtime', 'exception', 'exception']
  )
  assert.equal(ours.events[4].attributes['exception.type'], 'CARD_DECLINED')
  assert.equal(ours.name, 'renamed')
})

test('child spans made by the SDK never start before the request span (same clock convention)', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/children', async () => {
    for (let i = 0; i < 20; i++) trace.getTracer('t').startSpan(`child-${i}`).end()
    return 'ok'
  })
  for (let i = 0; i < 10; i++) await app.inject({ url: '/children' })
  const all = await spans()
  const ns = ([s, n]) => BigInt(s) * 1_000_000_000n + BigInt(n)
  for (const child of all.filter((s) => s.name.startsWith('child-'))) {
    const parent = all.find((s) => s.spanContext().spanId === child.parentSpanContext.spanId)
    assert.ok(ns(child.startTime) >= ns(parent.startTime), 'a child starts before its parent')
  }
})

test('span limits from the environment apply to the request span as to SDK spans', async (t) => {
  const unlimited = await tracedApp(t)
  unlimited.app.get('/limits', async (request) => {
    request.otel.span.setAttribute('long.value', 'abcdefghij')
    return 'ok'
  })
  await unlimited.app.inject({ url: '/limits?q=123456' })
  const [reference] = await unlimited.spans()
  await unlimited.app.close()

  process.env.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT = '5'
  process.env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT = '4'
  t.after(() => {
    delete process.env.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT
    delete process.env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT
  })
  const limited = await tracedApp(t)
  limited.app.get('/limits', async (request) => {
    request.otel.span.setAttribute('long.value', 'abcdefghij')
    // The same sequence the request span sees: its start attributes, the handler's, the status code.
    const { 'long.value': _, 'http.response.status_code': status, ...atStart } = reference.attributes
    const sdkSpan = limited.app.otel.tracer.startSpan('sdk', { attributes: atStart }, request.otel.context)
    sdkSpan.setAttribute('long.value', 'abcdefghij')
    sdkSpan.setAttribute('http.response.status_code', status)
    sdkSpan.end()
    return 'ok'
  })
  await limited.app.inject({ url: '/limits?q=123456' })
  const all = await limited.spans()
  const ours = all.find((s) => s.name === 'GET /limits')
  const sdk = all.find((s) => s.name === 'sdk')
  assert.equal(Object.keys(ours.attributes).length, 5)
  for (const value of Object.values(ours.attributes)) if (typeof value === 'string') assert.ok(value.length <= 4)
  const firstFive = Object.entries(reference.attributes)
    .slice(0, 5)
    .map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, 4) : v])
  assert.deepEqual(Object.entries(ours.attributes), firstFive)
  assert.deepEqual(ours.attributes, sdk.attributes)
  assert.equal(ours.droppedAttributesCount, sdk.droppedAttributesCount)
  assert.ok(ours.droppedAttributesCount > 0)
})

test('span processors see the request span exactly as they see an SDK span: onStart, ' +
  'onEnding while writable, then onEnd', async (t) => {
  const seen = new Map()
  const record = (method, span) => {
    const id = span.spanContext().spanId
    if (!seen.has(id)) seen.set(id, [])
    seen.get(id).push({
      method,
      recording: span.isRecording(),
      ended: span.ended,
      endTimeSet: span.endTime !== undefined && (span.endTime[0] !== 0 || span.endTime[1] !== 0),
      // A write during the call is either kept (writable) or refused (ended), as the SDK decides.
      writable:
        method === 'onEnd'
          ? undefined
          : (span.setAttribute(`probe.${method}`, 1), span.attributes[`probe.${method}`] === 1)
    })
  }
  const processor = {
    onStart: (span) => record('onStart', span),
    onEnding: (span) => record('onEnding', span),
    onEnd: (span) => record('onEnd', span),
    async forceFlush () {},
    async shutdown () {}
  }
  const { app, spans } = await tracedApp(t, { options: { spanProcessors: [processor] } })
  app.get('/sequence', async (request) => {
    app.otel.tracer.startSpan('sdk', {}, request.otel.context).end()
    return 'ok'
  })
  await app.inject({ url: '/sequence' })
  const all = await spans()
  const ours = all.find((s) => s.name === 'GET /sequence')
  const sdk = all.find((s) => s.name === 'sdk')
  assert.notEqual(ours.constructor, sdk.constructor)
  const sequence = (span) => seen.get(span.spanContext().spanId)
  assert.deepEqual(sequence(ours), sequence(sdk))
  assert.deepEqual(
    sequence(sdk).map((c) => c.method),
    ['onStart', 'onEnding', 'onEnd']
  )
  assert.deepEqual(sequence(sdk)[1], {
    method: 'onEnding',
    recording: true,
    ended: false,
    endTimeSet: true,
    writable: true
  })
})
