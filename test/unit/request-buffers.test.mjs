// Export request bodies written into memory used again (sdk/export/protobuf/request-buffers.ts):
// a body handed back takes the next request; one still out with a transport is never written over;
// handing back twice, or something the encoder did not lend, changes nothing; very large memory is
// let go. Every body must be byte for byte what a fresh encoder writes.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MAX_IDLE_BYTES } from '../../dist/sdk/export/protobuf/request-buffers.js'
import { spanRequestEncoder } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { endedSpans } from './unit-helpers.mjs'

const spans = (prefix, count, payload = 'x') => endedSpans(count, { prefix, attributes: () => ({ payload }) })

/** What an encoder that never reused anything writes for `items`. */
const fresh = (items) => Buffer.from(spanRequestEncoder().encode(items))

describe('request bodies, reused once handed back', () => {
  test('a body handed back takes the next request, which is written whole', () => {
    const encoder = spanRequestEncoder()
    const first = encoder.encode(spans('a', 20))
    encoder.release(first)
    const batch = spans('b', 20)
    const second = encoder.encode(batch)
    assert.equal(second.buffer, first.buffer, 'the second request is in the first one\'s memory')
    assert.deepEqual(Buffer.from(second), fresh(batch))
  })

  test('a body still out is never written over: the next request gets memory of its own', () => {
    const encoder = spanRequestEncoder()
    const batchA = spans('a', 20)
    const outstanding = encoder.encode(batchA)
    const copy = Buffer.from(outstanding)
    const batchB = spans('b', 20)
    const next = encoder.encode(batchB)
    assert.notEqual(next.buffer, outstanding.buffer)
    assert.deepEqual(Buffer.from(outstanding), copy, 'the body out with its transport is unchanged')
    assert.deepEqual(Buffer.from(next), fresh(batchB))
  })

  test('a body handed back a second time, while its memory carries another request, is not lent again', () => {
    const encoder = spanRequestEncoder()
    const first = encoder.encode(spans('a', 5))
    encoder.release(first)
    const batchB = spans('b', 5)
    const second = encoder.encode(batchB)
    assert.equal(second.buffer, first.buffer)
    encoder.release(first)
    const third = encoder.encode(spans('c', 5))
    assert.notEqual(third.buffer, second.buffer, 'two requests under way never share memory')
    assert.deepEqual(Buffer.from(second), fresh(batchB))
  })

  test('memory the encoder did not lend is never taken (a view of Node\'s shared pool, say)', () => {
    const encoder = spanRequestEncoder()
    const foreign = Buffer.from('not a request body')
    const before = Buffer.from(foreign)
    encoder.release(foreign)
    const body = encoder.encode(spans('a', 5))
    assert.notEqual(body.buffer, foreign.buffer)
    assert.deepEqual(foreign, before)
  })

  test(`memory over ${MAX_IDLE_BYTES} bytes is let go, not kept idle`, () => {
    const encoder = spanRequestEncoder()
    const large = encoder.encode(spans('a', 4, 'y'.repeat(MAX_IDLE_BYTES / 2)))
    assert.ok(large.buffer.byteLength > MAX_IDLE_BYTES)
    encoder.release(large)
    const next = encoder.encode(spans('b', 1))
    assert.notEqual(next.buffer, large.buffer)
  })

  test('a request larger than the memory handed back is written in new memory, whole', () => {
    const encoder = spanRequestEncoder()
    const small = encoder.encode(spans('a', 1))
    encoder.release(small)
    const batch = spans('b', 300, 'z'.repeat(200))
    const body = encoder.encode(batch)
    assert.deepEqual(Buffer.from(body), fresh(batch))
  })
})
