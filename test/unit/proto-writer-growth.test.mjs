// The OTLP writer when its buffer has to grow in the middle of a field, and the memory the queue
// of encoded spans keeps (sdk/export/protobuf/proto-writer.ts, encoded-items.ts). Growth is rare
// in the contract test (its buffers are sized ahead), so these tests make it happen at every
// offset: the bytes must be those of a writer that never grew.
import { resourceFromAttributes } from '@opentelemetry/resources'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { writeAttributes } from '../../dist/sdk/export/protobuf/otlp-common.js'
import { ProtoWriter } from '../../dist/sdk/export/protobuf/proto-writer.js'
import { spanItemEncoder } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { plainSpan } from './unit-helpers.mjs'

const STRINGS = [
  '', 'a', 'é', '\ud800', '€uro', 'ascii only, fifteen', 'ü'.repeat(20), 'x'.repeat(127),
  'y'.repeat(1500), 'ж'.repeat(1200), `${'z'.repeat(1023)}\udc00`
]

/** The bytes `write` produces at offset `at` of a writer of `size` bytes (what comes before is filler). */
function bytesAt (size, at, write) {
  const writer = new ProtoWriter(size)
  writer.ensure(at)
  writer.buffer.fill(0xee, 0, at)
  writer.pos = at
  write(writer)
  return Buffer.from(writer.view(at))
}

describe('the writer, growing in the middle of a field', () => {
  for (const value of STRINGS) {
    test(`a string of ${value.length} characters, at every offset of a 64-byte buffer`, () => {
      const expected = bytesAt(1 << 16, 0, (w) => w.string(value))
      for (let at = 0; at <= 64; at++) {
        assert.deepEqual(bytesAt(64, at, (w) => w.string(value)), expected, `at offset ${at}`)
      }
    })
  }

  // The pair writer copies short values itself and hands long ones to Node's encoder, with room
  // made for their UTF-8 first: neither may write past the room, whatever the offset.
  const PAIR_VALUES = [
    '', 'v', 'a'.repeat(31), 'a'.repeat(32), 'a'.repeat(60),
    `${'a'.repeat(40)}é`, 'ü'.repeat(40), `\ud800${'b'.repeat(35)}`
  ]
  for (const value of PAIR_VALUES) {
    test(`a string attribute of ${value.length} characters, at every offset of a 64-byte buffer`, () => {
      const write = (w) => writeAttributes(w, 9, { 'http.request.method': value, k: value })
      const expected = bytesAt(1 << 16, 0, write)
      for (let at = 0; at <= 64; at++) {
        assert.deepEqual(bytesAt(64, at, write), expected, `at offset ${at}`)
      }
    })
  }

  test('ids, times and varint fields, at every offset', () => {
    const write = (w) => {
      w.hexField(0x0a, '4bf92f3577b34da6a3ce929d0e0e4736')
      w.hexField(0x12, '00f067aa0ba902b7')
      w.timeField(0x39, [1_700_000_000, 999_999_999])
      w.varintField(0x50, 300)
      w.varintField(0x60, 2 ** 32 - 1)
    }
    const expected = bytesAt(1 << 16, 0, write)
    assert.equal(expected.length, 18 + 10 + 9 + 3 + 6)
    for (let at = 0; at <= 64; at++) {
      assert.deepEqual(bytesAt(64, at, write), expected, `at offset ${at}`)
    }
  })

  test('nested messages of every small length, at every offset', () => {
    for (let length = 0; length < 140; length += 1) {
      const body = 'q'.repeat(length)
      const write = (w) => {
        const sized = w.beginSized()
        const nested = w.begin()
        for (const char of body) w.string(char)
        w.end(nested)
        w.endSized(sized)
      }
      const expected = bytesAt(1 << 16, 0, write)
      for (let at = 0; at <= 64; at += 7) {
        assert.deepEqual(bytesAt(64, at, write), expected, `length ${length} at offset ${at}`)
      }
    }
  })
})

describe('the queue of encoded spans: memory held is close to the bytes counted', () => {
  const resource = resourceFromAttributes({ 'service.name': 'memory' })
  const span = (payload) => plainSpan({ name: 'GET /', kind: 1, attributes: { payload }, resource })

  for (const size of [1_000, 10_000, 60_000, 200_000]) {
    test(`spans with a ${size}-byte attribute: the slabs they keep hold at most 1.35x their bytes`, () => {
      const encoder = spanItemEncoder()
      const slabs = new Set()
      let counted = 0
      const item = span('x'.repeat(size))
      for (let i = 0; i < Math.ceil(8e6 / size); i++) {
        counted += encoder.measure(item)
        const kept = encoder.commit(item)
        slabs.add(kept.slab)
      }
      let held = 0
      for (const slab of slabs) held += slab.length
      assert.ok(held <= counted * 1.35, `held ${held} bytes for ${counted} counted`)
    })
  }

  test('an item that outgrows its slab is kept whole, and the items before it stay intact', () => {
    const encoder = spanItemEncoder()
    const kept = []
    for (const size of [100, 200_000, 50, 300_000, 10]) {
      const item = span('v'.repeat(size))
      const measured = encoder.measure(item)
      const entry = encoder.commit(item)
      assert.equal(entry.end - entry.start, measured)
      kept.push([entry, Buffer.from(entry.slab.subarray(entry.start, entry.end))])
    }
    for (const [entry, copy] of kept) assert.deepEqual(entry.slab.subarray(entry.start, entry.end), copy)
  })
})
