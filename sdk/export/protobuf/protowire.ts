/**
 * The protobuf wire format, just enough of it: reading the fields of a message, and writing
 * small messages. Used to read `google.rpc.RetryInfo` from gRPC error details, and by the test
 * and demo receiver to decode OTLP requests. Nothing here trusts its input: a malformed buffer
 * throws a RangeError that callers catch.
 */

export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_BYTES = 2
export const WIRE_FIXED32 = 5

export interface WireField {
  field: number
  wire: number
  /** Varints as bigint (64-bit safe); fixed64 as bigint; fixed32 as number; bytes as a Buffer view. */
  value: bigint | number | Buffer
}

/** Every field of one message, in order (repeated fields appear once per element). */
export function readFields (buffer: Buffer): WireField[] {
  const fields: WireField[] = []
  let offset = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (offset >= buffer.length) throw new RangeError('truncated varint')
      const byte = buffer[offset++]!
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return result
      shift += 7n
      if (shift > 63n) throw new RangeError('varint too long')
    }
  }
  while (offset < buffer.length) {
    const key = Number(varint())
    const field = key >>> 3
    const wire = key & 7
    if (field === 0) throw new RangeError('field number 0')
    if (wire === WIRE_VARINT) {
      fields.push({ field, wire, value: varint() })
    } else if (wire === WIRE_FIXED64) {
      if (offset + 8 > buffer.length) throw new RangeError('truncated fixed64')
      fields.push({ field, wire, value: buffer.readBigUInt64LE(offset) })
      offset += 8
    } else if (wire === WIRE_BYTES) {
      const length = Number(varint())
      if (offset + length > buffer.length) throw new RangeError('truncated length-delimited field')
      fields.push({ field, wire, value: buffer.subarray(offset, offset + length) })
      offset += length
    } else if (wire === WIRE_FIXED32) {
      if (offset + 4 > buffer.length) throw new RangeError('truncated fixed32')
      fields.push({ field, wire, value: buffer.readUInt32LE(offset) })
      offset += 4
    } else {
      throw new RangeError(`unsupported wire type ${wire}`)
    }
  }
  return fields
}

/** Builds a message field by field. */
export class MessageWriter {
  private readonly parts: Buffer[] = []

  varint (field: number, value: number | bigint): this {
    this.parts.push(encodeVarint(key(field, WIRE_VARINT)), encodeVarint(BigInt(value)))
    return this
  }

  bytes (field: number, value: Buffer | string): this {
    const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
    this.parts.push(encodeVarint(key(field, WIRE_BYTES)), encodeVarint(BigInt(data.length)), data)
    return this
  }

  finish (): Buffer {
    return Buffer.concat(this.parts)
  }
}

/**
 * A field's key. In BigInt: with 32-bit `<<`, field numbers from 2^28 on would overflow the sign
 * bit and encode as a negative (ten-byte) varint.
 */
function key (field: number, wire: number): bigint {
  return (BigInt(field) << 3n) | BigInt(wire)
}

function encodeVarint (value: bigint): Buffer {
  // Negative int64 values are encoded as their 64-bit two's complement, as protobuf does.
  let v = value < 0n ? value + (1n << 64n) : value
  const bytes: number[] = []
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) byte |= 0x80
    bytes.push(byte)
  } while (v > 0n)
  return Buffer.from(bytes)
}
