// The span queue's slabs used again (sdk/export/protobuf/encoded-items.ts, batch-lease.ts): a slab
// goes back to the pool only once the encoder has moved past it and every span written into it
// has been handed back, which the queue does when nobody reads a batch any more: the queue is done
// with it and every exporter call made with it has called back, also after the queue stopped
// waiting for a timed-out one. Every reused slab's spans must read back as a fresh encoder writes
// them.
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, test } from 'node:test'
import { BatchLease } from '../../dist/sdk/export/batch-lease.js'
import { BatchExportProcessor } from '../../dist/sdk/traces/batch-span-processor.js'
import { spanItemEncoder } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { encodedSpans } from '../../dist/sdk/traces/span-queue-encoding.js'
import { endedSpans, SUCCESS } from './unit-helpers.mjs'

/** About 10 KB a span: some 24 to a 256 KB slab. */
const PAYLOAD = 'p'.repeat(10_000)
const makeSpans = (count, prefix) => endedSpans(count, { prefix, attributes: () => ({ payload: PAYLOAD }) })

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

/** Item by item (a deepEqual of many large buffers would take minutes to describe a difference). */
function assertSameBytes (actual, expected, what = 'item') {
  assert.equal(actual.length, expected.length)
  for (let i = 0; i < actual.length; i++) assert.ok(actual[i].equals(expected[i]), `${what} ${i} differs`)
}
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
    assertSameBytes(second.map(bytesOf), freshBytes(spans))
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
    assert.ok(bytesOf(kept).equals(keptBytes), 'the queued span reads as it was written')
  })

  test('spans handed back twice count once: a slab whose other spans are still queued stays theirs', () => {
    const encoder = spanItemEncoder()
    const spans = makeSpans(40, 'a')
    const early = encodeAll(encoder, spans.slice(0, 10))
    const slab = early[0].slab.buffer
    encoder.release(early)
    encoder.release(early)
    // The rest of the slab's spans, and the next slab's first ones.
    const later = encodeAll(encoder, spans.slice(10))
    const stillQueued = later.filter((item) => item.slab.buffer === slab)
    assert.ok(stillQueued.length > early.length, 'the slab holds more spans, still queued')
    const queuedBytes = stillQueued.map(bytesOf)
    // As many as would bring the slab's count to zero if the early spans had counted twice.
    encoder.release(stillQueued.slice(0, stillQueued.length - early.length))
    const after = encodeAll(encoder, makeSpans(80, 'c'))
    assert.ok(!memoryOf(after).has(slab), 'the slab is not used again while spans in it are queued')
    assertSameBytes(stillQueued.map(bytesOf), queuedBytes)
  })

  test('a span that cannot be encoded after the slab had to grow: the spans after it go into their own slab', () => {
    const encoder = spanItemEncoder()
    const spans = makeSpans(22, 'a')
    encodeAll(encoder, spans)
    // An attribute that outgrows what is left of the slab, then a value whose reading throws.
    const [broken] = makeSpans(1, 'broken')
    const attributes = { big: 'b'.repeat(64_000) }
    Object.defineProperty(attributes, 'z', { enumerable: true, get () { throw new Error('unreadable') } })
    Object.defineProperty(broken, 'attributes', { value: attributes })
    assert.throws(() => encoder.measure(broken), /unreadable/)
    const next = makeSpans(30, 'b')
    const items = encodeAll(encoder, next)
    assertSameBytes(items.map(bytesOf), freshBytes(next))
    for (const item of items) assert.ok(item.end <= item.slab.length, `${item.start}-${item.end} lies in its slab`)
  })
})

describe('a batch lease', () => {
  test('an exporter that calls back twice lets go once: the batch comes back after the queue is done too', () => {
    const released = []
    const lease = new BatchLease(['x', 'y'], (items) => released.push(items))
    const done = lease.heldUntil(() => {})
    done(SUCCESS)
    done(SUCCESS)
    assert.deepEqual(released, [], 'the queue still holds the batch')
    lease.letGo()
    assert.deepEqual(released, [['x', 'y']])
  })
})

describe('the queue hands a batch back only when nobody reads it', () => {
  test('an export the queue gave up on keeps its slab until the exporter calls back', async () => {
    // The first call is held open (a collector that does not answer); every later one is answered at once.
    const calls = []
    const exporter = {
      export (items, done) {
        calls.push({ items, done })
        if (calls.length > 1) done(SUCCESS)
      },
      async shutdown () {}
    }
    const processor = new BatchExportProcessor(
      exporter,
      { maxQueueSize: 1000, maxExportBatchSize: 25, scheduledDelayMillis: 5, exportTimeoutMillis: 40 },
      {},
      encodedSpans()
    )
    for (const span of makeSpans(25, 'a')) processor.onEnd(span)
    while (calls.length < 1) await sleep(1)
    const held = calls[0]
    const heldSlabs = memoryOf(held.items)
    const heldBytes = held.items.map(bytesOf)
    await sleep(80) // the queue's export timeout passes; the call is still under way

    for (const span of makeSpans(75, 'b')) processor.onEnd(span)
    await processor.forceFlush()
    const meanwhile = calls.slice(1).flatMap((call) => call.items)
    assert.equal(meanwhile.length, 75)
    for (const slab of heldSlabs) assert.ok(!memoryOf(meanwhile).has(slab), 'the held batch\'s slab was not reused')
    assertSameBytes(held.items.map(bytesOf), heldBytes, 'the held batch reads as it was written')

    held.done(SUCCESS)
    const before = calls.length
    const spans = makeSpans(100, 'c')
    for (const span of spans) processor.onEnd(span)
    await processor.forceFlush()
    const after = calls.slice(before).flatMap((call) => call.items)
    assert.equal(after.length, 100)
    assert.ok([...heldSlabs].some((slab) => memoryOf(after).has(slab)), 'once called back, its slab is used again')
    assertSameBytes(after.map(bytesOf), freshBytes(spans))
  })
})
