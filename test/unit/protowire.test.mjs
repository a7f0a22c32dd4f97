// The protobuf wire format, just what the package needs of it (sdk/export/protobuf/protowire.ts):
// MessageWriter's bytes against the encoding guide's own examples, MessageWriter then readFields
// round trip for any message (a fast-check property), and malformed input always a RangeError,
// never anything else, never a hang.
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  MessageWriter,
  readFields,
  WIRE_BYTES,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_VARINT
} from '../../dist/sdk/export/protobuf/protowire.js'

const hex = (buffer) => buffer.toString('hex')

describe('the bytes MessageWriter writes', () => {
  // protobuf.dev, "Encoding": the examples every implementation agrees on.
  test('the encoding guide examples', () => {
    assert.equal(hex(new MessageWriter().varint(1, 150).finish()), '089601')
    assert.equal(hex(new MessageWriter().bytes(2, 'testing').finish()), '120774657374696e67')
    // An embedded message: field 3 holding the first example.
    assert.equal(hex(new MessageWriter().bytes(3, new MessageWriter().varint(1, 150).finish()).finish()), '1a03089601')
    // int64 -2 is its 64-bit two's complement: ten bytes.
    assert.equal(hex(new MessageWriter().varint(1, -2).finish()), '08feffffffffffffffff01')
    assert.equal(hex(new MessageWriter().varint(1, 0).finish()), '0800')
    assert.equal(hex(new MessageWriter().bytes(1, Buffer.alloc(0)).finish()), '0a00')
  })

  test('field 2^28 - 1: the key (2^31 - 8) in five bytes', () => {
    assert.equal(hex(new MessageWriter().varint(2 ** 28 - 1, 1).finish()), 'f8ffffff0701')
  })

  test(
    'field numbers from 2^28 to 2^29 - 1 (allowed by protobuf) get a five-byte key',
    () => {
      // Key of field 2^29 - 1, wire type 0: (2^29 - 1) * 8 = 2^32 - 8 = f8 ff ff ff 0f.
      assert.equal(hex(new MessageWriter().varint(2 ** 29 - 1, 1).finish()), 'f8ffffff0f01')
      assert.deepEqual(readFields(new MessageWriter().varint(2 ** 29 - 1, 1).finish()), [
        { field: 2 ** 29 - 1, wire: WIRE_VARINT, value: 1n }
      ])
    }
  )
})

describe('readFields', () => {
  test('reads fixed64 and fixed32 fields (the writer has no method for them), repeated fields in order', () => {
    const buffer = Buffer.concat([
      Buffer.from([(1 << 3) | WIRE_FIXED64]),
      Buffer.from('0102030405060708', 'hex'),
      Buffer.from([(2 << 3) | WIRE_FIXED32]),
      Buffer.from('ffffffff', 'hex'),
      new MessageWriter().varint(3, 1).varint(3, 2).finish()
    ])
    assert.deepEqual(readFields(buffer), [
      { field: 1, wire: WIRE_FIXED64, value: 0x0807060504030201n },
      { field: 2, wire: WIRE_FIXED32, value: 0xffffffff },
      { field: 3, wire: WIRE_VARINT, value: 1n },
      { field: 3, wire: WIRE_VARINT, value: 2n }
    ])
    assert.deepEqual(readFields(Buffer.alloc(0)), [])
  })

  const malformed = [
    ['a truncated varint value', '0880', /truncated varint/],
    ['a truncated key', '80', /truncated varint/],
    ['a varint longer than ten bytes', '08' + '80'.repeat(10) + '01', /varint too long/],
    ['a length past the end', '0a0501', /truncated length-delimited field/],
    ['a truncated length', '0a', /truncated varint/],
    ['field number 0', '0001', /field number 0/],
    ['a truncated fixed64', '090102030405', /truncated fixed64/],
    ['a truncated fixed32', '0d0102', /truncated fixed32/],
    ['wire type 3 (start group)', '0b', /unsupported wire type 3/],
    ['wire type 4 (end group)', '0c', /unsupported wire type 4/],
    ['wire type 6', '0e', /unsupported wire type 6/],
    ['wire type 7', '0f', /unsupported wire type 7/]
  ]
  for (const [name, bytes, message] of malformed) {
    test(`${name}: RangeError`, () => {
      assert.throws(() => readFields(Buffer.from(bytes, 'hex')), (error) => {
        assert.ok(error instanceof RangeError, `${error}`)
        assert.match(error.message, message)
        return true
      })
    })
  }

  test('any bytes at all: fields or a RangeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          readFields(Buffer.from(bytes))
        } catch (error) {
          assert.ok(error instanceof RangeError, `${error?.constructor?.name}: ${error?.message}`)
        }
      }),
      { numRuns: 2000 }
    )
  })
})

describe('MessageWriter then readFields', () => {
  // Field numbers below 2^28: see the todo above for the ones from 2^28 to 2^29 - 1.
  const fieldNumber = fc.integer({ min: 1, max: 2 ** 28 - 1 })
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })
  const message = fc.letrec((tie) => ({
    message: fc.array(tie('field'), { maxLength: 6 }),
    field: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ type: fc.constant('varint'), field: fieldNumber, value: int64 }),
      fc.record({
        type: fc.constant('small'),
        field: fieldNumber,
        value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 })
      }),
      fc.record({ type: fc.constant('bytes'), field: fieldNumber, value: fc.uint8Array({ maxLength: 40 }) }),
      fc.record({
        type: fc.constant('string'),
        field: fieldNumber,
        value: fc.string({ unit: 'grapheme', maxLength: 20 })
      }),
      fc.record({ type: fc.constant('nested'), field: fieldNumber, value: tie('message') })
    )
  })).message

  function write (fields) {
    const writer = new MessageWriter()
    for (const f of fields) {
      if (f.type === 'varint' || f.type === 'small') writer.varint(f.field, f.value)
      else if (f.type === 'bytes') writer.bytes(f.field, Buffer.from(f.value))
      else if (f.type === 'string') writer.bytes(f.field, f.value)
      else writer.bytes(f.field, write(f.value))
    }
    return writer.finish()
  }

  /** Reads `buffer` back against the message it was written from, field by field. */
  function check (fields, buffer) {
    const read = readFields(buffer)
    assert.equal(read.length, fields.length)
    fields.forEach((f, i) => {
      const got = read[i]
      assert.equal(got.field, f.field)
      if (f.type === 'varint' || f.type === 'small') {
        assert.equal(got.wire, WIRE_VARINT)
        // Negative values travel as their 64-bit two's complement, as int64 does.
        assert.equal(got.value, BigInt.asUintN(64, BigInt(f.value)))
        assert.equal(BigInt.asIntN(64, got.value), BigInt.asIntN(64, BigInt(f.value)))
      } else {
        assert.equal(got.wire, WIRE_BYTES)
        if (f.type === 'bytes') assert.deepEqual(new Uint8Array(got.value), f.value)
        else if (f.type === 'string') assert.equal(got.value.toString('utf8'), f.value)
        else check(f.value, got.value)
      }
    })
  }

  test('any message of varints (64-bit, negative), bytes, strings and nested messages comes back as written', () => {
    fc.assert(
      fc.property(message, (fields) => check(fields, write(fields))),
      { numRuns: 500 }
    )
  })

  test('the boundaries of 64-bit varints', () => {
    for (const value of [0n, 1n, 127n, 128n, 2n ** 32n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, -1n, -(2n ** 63n)]) {
      const [field] = readFields(new MessageWriter().varint(5, value).finish())
      assert.deepEqual(field, { field: 5, wire: WIRE_VARINT, value: BigInt.asUintN(64, value) })
    }
  })
})
