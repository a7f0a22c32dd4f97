// The span queue's slabs used again (sdk/export/protobuf/encoded-items.ts, batch-lease.ts): a slab
// goes back to the pool only once the encoder has moved past it and every span written into it
// has been handed back, which the queue does when nobody reads a batch any more: the queue is done
// with it and every exporter call made with it has called back, also after the queue stopped
// waiting for a timed-out one. Every reused slab's spans must read back as a fresh encoder writes
// them.
import { TracerProvider } from '@opentelemetry/sdk-trace'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, test } from 'node:test'
import { BatchExportProcessor } from '../../dist/sdk/traces/batch-span-processor.js'
import { spanItemEncoder } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { encodedSpans } from '../../dist/sdk/traces/span-queue-encoding.js'
import { controlledExporter, SUCCESS } from './unit-helpers.mjs'

/** About 10 KB a span: some 24 to a 256 KB slab. */
const PAYLOAD = 'p'.repeat(10_000)

function makeSpans (count, prefix = 's') {
  const ended = []
  const provider = new TracerProvider({
    spanProcessors: [
      { onStart () {}, onEnd: (s) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }
    ]
  })
  const tracer = provider.getTracer('slabs')
  for (let i = 0; i < count; i++) tracer.startSpan(`${prefix}-${i}`, { attributes: { payload: PAYLOAD } }).end()
  return ended
}

/** Each item's bytes as a fresh encoder writes them. */
function freshBytes (spans) {
  const encoder = spanItemEncoder()
  return spans.map((span) => {
    encoder.measure(span)
    const item = encoder.commit(span)
    return Buffer.from(item.slab.subarray(item.start, item.end))
  })
}

const bytesOf = (item) => Buffer.from(item.slab.subarray(item.start, item.end))
const memoryOf = (items) => new Set(items.map((item) => item.slab.buffer))

function encodeAll (encoder, spans) {
  return spans.map((span) => {
    encoder.measure(span)
    return encoder.commit(span)
  })
}

describe('the item encoder: slabs back in the pool', () => {
  test('a slab whose spans were all handed back is the next slab, and what is written there reads right', () => {
    const encoder = spanItemEncoder()
    const first = encodeAll(encoder, makeSpans(30, 'a'))
    const firstSlab = first[0].slab.buffer
    const inFirst = first.filter((item) => item.slab.buffer === firstSlab)
    assert.ok(inFirst.length < first.length, 'the encoder moved past the first slab')
    encoder.release(first)
    const spans = makeSpans(60, 'b')
    const second = encodeAll(encoder, spans)
    assert.ok(memoryOf(second).has(firstSlab), 'a later slab is the first one\'s memory')
    assert.deepEqual(second.map(bytesOf), freshBytes(spans))
  })

  test('a slab with one span not handed back is not used again', () => {
    const encoder = spanItemEncoder()
    const first = encodeAll(encoder, makeSpans(30, 'a'))
    const firstSlab = first[0].slab.buffer
    const kept = first[3]
    const keptBytes = bytesOf(kept)
    encoder.release(first.filter((item) => item !== kept))
    const second = encodeAll(encoder, makeSpans(100, 'b'))
    assert.ok(!memoryOf(second).has(firstSlab))
    assert.deepEqual(bytesOf(kept), keptBytes)
  })

  test('spans handed back twice do not put their slab in the pool twice', () => {
    const encoder = spanItemEncoder()
    const first = encodeAll(encoder, makeSpans(30, 'a'))
    encoder.release(first)
    encoder.release(first)
    const later = encodeAll(encoder, makeSpans(120, 'b'))
    const slabs = later.map((item) => item.slab)
    // Two slabs in use at once never share memory: consecutive slabs differ.
    for (let i = 1; i < slabs.length; i++) {
      if (slabs[i] !== slabs[i - 1]) assert.notEqual(slabs[i].buffer, slabs[i - 1].buffer)
    }
  })
})

describe('the queue hands a batch back only when nobody reads it', () => {
  test('an export the queue gave up on keeps its slab until the exporter calls back', async () => {
    const exporter = controlledExporter({ key: (item) => item })
    const processor = new BatchExportProcessor(
      exporter,
      { maxQueueSize: 1000, maxExportBatchSize: 25, scheduledDelayMillis: 5, exportTimeoutMillis: 40 },
      {},
      encodedSpans()
    )
    for (const span of makeSpans(25, 'a')) processor.onEnd(span)
    while (exporter.calls.length < 1) await sleep(1)
    const held = exporter.calls[0]
    const heldSlabs = memoryOf(held.items)
    const heldBytes = held.items.map(bytesOf)
    await sleep(80) // the queue's export timeout passes; the call is still under way

    for (const span of makeSpans(75, 'b')) processor.onEnd(span)
    while (exporter.calls.length < 4) {
      for (const call of exporter.calls.slice(1)) if (!call.settled) call.done(SUCCESS)
      await sleep(1)
    }
    for (const call of exporter.calls.slice(1)) if (!call.settled) call.done(SUCCESS)
    const meanwhile = exporter.calls.slice(1).flatMap((call) => call.items)
    for (const slab of heldSlabs) assert.ok(!memoryOf(meanwhile).has(slab), 'the held batch\'s slab was not reused')
    assert.deepEqual(held.items.map(bytesOf), heldBytes, 'the held batch reads as it was written')

    held.done(SUCCESS)
    const spans = makeSpans(100, 'c')
    for (const span of spans) processor.onEnd(span)
    await processor.forceFlush()
    while (exporter.calls.some((call) => !call.settled)) {
      for (const call of exporter.calls) if (!call.settled) call.done(SUCCESS)
      await processor.forceFlush()
    }
    const after = exporter.calls.slice(4).flatMap((call) => call.items)
    assert.ok([...heldSlabs].some((slab) => memoryOf(after).has(slab)), 'once called back, its slab is used again')
    assert.deepEqual(after.map(bytesOf), freshBytes(spans))
  })
})
