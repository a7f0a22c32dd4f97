/**
 * Writes protobuf wire format straight into one growing buffer: the OTLP encoders write spans and
 * log records field by field from the objects the SDK already holds, with no message objects in
 * between and one allocation per request body (docs/internals/upstream-parts.md, "The OTLP
 * encoder", has the measurements).
 *
 * Nested messages get their length after they are written: `begin()` keeps one byte for it and
 * `end()` moves the message when its length needs more (only messages of 128 bytes and more, once
 * each). Every value comes out in protobuf's canonical form, so a decoder sees exactly what
 * upstream's serializer writes for the same data.
 */
export class ProtoWriter {
  buffer: Buffer
  pos = 0

  /** A writer into new memory of `size` bytes, or into `memory` (request-buffers.ts lends it). */
  constructor (size: number | Buffer = 4096) {
    this.buffer = typeof size === 'number' ? Buffer.allocUnsafe(Math.max(64, size)) : size
  }

  /** Makes room for `bytes` more. */
  ensure (bytes: number): void {
    if (this.pos + bytes > this.buffer.length) this.grow(bytes)
  }

  /** The bytes written so far (a view: valid until the writer writes again). */
  view (from = 0): Buffer {
    return this.buffer.subarray(from, this.pos)
  }

  /** A field key of wire type `wire` (one byte for field numbers below 16, which most of OTLP's are). */
  key (field: number, wire: number): void {
    const key = (field << 3) | wire
    if (key < 128) {
      this.ensure(1)
      this.buffer[this.pos++] = key
    } else {
      this.uint32(key)
    }
  }

  /** An unsigned value below 2^32. */
  uint32 (value: number): void {
    this.ensure(5)
    const buffer = this.buffer
    let v = value >>> 0
    while (v > 127) {
      buffer[this.pos++] = (v & 127) | 128
      v >>>= 7
    }
    buffer[this.pos++] = v
  }

  /** An int64 varint from an integer-valued number (negative ones as ten bytes of two's complement). */
  int64 (value: number): void {
    if (value >= 0 && value <= 0xffffffff) {
      this.uint32(value)
      return
    }
    let low: number
    let high: number
    if (value >= 0) {
      low = value >>> 0
      high = Math.floor(value / 4294967296) >>> 0
    } else {
      const magnitude = -value
      low = ~(magnitude >>> 0) >>> 0
      high = ~(Math.floor(magnitude / 4294967296) >>> 0) >>> 0
      low = (low + 1) >>> 0
      if (low === 0) high = (high + 1) >>> 0
    }
    this.ensure(10)
    const buffer = this.buffer
    while (high > 0 || low > 127) {
      buffer[this.pos++] = (low & 127) | 128
      low = ((low >>> 7) | (high << 25)) >>> 0
      high >>>= 7
    }
    buffer[this.pos++] = low
  }

  fixed32 (value: number): void {
    this.ensure(4)
    const buffer = this.buffer
    const v = value >>> 0
    buffer[this.pos++] = v & 255
    buffer[this.pos++] = (v >>> 8) & 255
    buffer[this.pos++] = (v >>> 16) & 255
    buffer[this.pos++] = v >>> 24
  }

  /** An HrTime ([seconds, nanoseconds]) as fixed64 nanoseconds since the epoch, exactly (no float rounding). */
  time (hrTime: readonly [number, number]): void {
    this.ensure(8)
    this.pos = writeTimeAt(this.buffer, this.pos, hrTime)
  }

  /** A fixed64 field (`keyByte`: its key, one byte) holding an HrTime, as `time` writes it. */
  timeField (keyByte: number, hrTime: readonly [number, number]): void {
    this.ensure(9)
    const buffer = this.buffer
    buffer[this.pos] = keyByte
    this.pos = writeTimeAt(buffer, this.pos + 1, hrTime)
  }

  /** A varint field (`keyByte`: its key, one byte) holding an unsigned value below 2^32. */
  varintField (keyByte: number, value: number): void {
    this.ensure(6)
    const buffer = this.buffer
    buffer[this.pos] = keyByte
    this.pos = writeVarintAt(buffer, this.pos + 1, value)
  }

  double (value: number): void {
    this.ensure(8)
    this.pos = this.buffer.writeDoubleLE(value, this.pos)
  }

  /**
   * A length-delimited UTF-8 string (lone surrogates become U+FFFD, as TextEncoder writes them).
   * Short ones are copied here, character by character; from SHORT_STRING on, Node's encoder is
   * cheaper. Up to LONG_STRING, room is made for three bytes a character and the length is
   * written after the bytes (they move only when the string is not ASCII and its length needs a
   * longer varint); from LONG_STRING on, the exact size is asked first, so that a long ASCII value
   * does not make the buffer grow to three times its size.
   */
  string (value: string): void {
    const length = value.length
    if (length < SHORT_STRING) {
      this.ensure(1 + length)
      const buffer = this.buffer
      let at = this.pos + 1
      let i = 0
      for (; i < length; i++) {
        const code = value.charCodeAt(i)
        if (code >= 128) break
        buffer[at++] = code
      }
      if (i === length) {
        buffer[this.pos] = length
        this.pos = at
        return
      }
    }
    if (length >= LONG_STRING) {
      const size = Buffer.byteLength(value, 'utf8')
      this.uint32(size)
      this.ensure(size)
      this.pos += writeUtf8(this.buffer, value, this.pos)
      return
    }
    const reserved = varintSize(length)
    this.ensure(reserved + length * 3)
    const start = this.pos + reserved
    const written = writeUtf8(this.buffer, value, start)
    const needed = varintSize(written)
    if (needed !== reserved) this.buffer.copyWithin(this.pos + needed, start, start + written)
    // The room made above holds the length: no `ensure` here, which could grow the buffer and
    // leave the bytes just written behind.
    this.pos = writeVarintAt(this.buffer, this.pos, written) + written
  }

  /**
   * A whole KeyValue with a string value (`keyByte`: its field's key, one byte), when both strings
   * are ASCII and the pair is under 128 bytes: then every length is one byte and known before the
   * bytes are written, and nothing has to move. Most attributes of a server span are such pairs.
   * Returns false, having kept nothing, for any other pair.
   */
  asciiPair (keyByte: number, name: string, value: string): boolean {
    const nameLength = name.length
    const valueLength = value.length
    const anyValue = 2 + valueLength
    const pair = 2 + nameLength + 2 + anyValue
    if (pair > 127) return false
    // Room for a long value's UTF-8 (up to three bytes a character), written by Node's encoder.
    this.ensure(2 + pair + (valueLength < NATIVE_ASCII_VALUE ? 0 : 2 * valueLength))
    const buffer = this.buffer
    let at = this.pos
    buffer[at++] = keyByte
    buffer[at++] = pair
    buffer[at++] = 0x0a // KeyValue.key
    buffer[at++] = nameLength
    for (let i = 0; i < nameLength; i++) {
      const code = name.charCodeAt(i)
      if (code >= 128) return false
      buffer[at++] = code
    }
    buffer[at++] = 0x12 // KeyValue.value
    buffer[at++] = anyValue
    buffer[at++] = 0x0a // AnyValue.string_value
    buffer[at++] = valueLength
    if (valueLength >= NATIVE_ASCII_VALUE) {
      // As many bytes as characters only when every character is ASCII.
      if (writeUtf8(buffer, value, at) !== valueLength) return false
      this.pos = at + valueLength
      return true
    }
    for (let i = 0; i < valueLength; i++) {
      const code = value.charCodeAt(i)
      if (code >= 128) return false
      buffer[at++] = code
    }
    this.pos = at
    return true
  }

  /** Length-delimited raw bytes. */
  bytes (value: Uint8Array): void {
    this.uint32(value.length)
    this.ensure(value.length)
    this.buffer.set(value, this.pos)
    this.pos += value.length
  }

  /**
   * A length-delimited field (`keyByte`: its key, one byte) holding the bytes an id written in hex
   * spells (trace and span ids; an odd last digit is left out). One bounds check for the whole
   * field and the position kept in a local: ids are three of a span's fields.
   */
  hexField (keyByte: number, hex: string): void {
    const length = hex.length >>> 1
    this.ensure(6 + length)
    const buffer = this.buffer
    buffer[this.pos++] = keyByte
    let at = writeVarintAt(buffer, this.pos, length)
    const digits = length << 1
    for (let i = 0; i < digits; i += 2) {
      buffer[at++] = (HEX[hex.charCodeAt(i) & 127]! << 4) | HEX[hex.charCodeAt(i + 1) & 127]!
    }
    this.pos = at
  }

  /** Starts a nested message (after its key); returns what `end` needs. */
  begin (): number {
    this.ensure(1)
    return this.pos++
  }

  /** Writes the length of the message begun at `start`, moving it forward if the length takes more than a byte. */
  end (start: number): void {
    const length = this.pos - start - 1
    if (length < 128) {
      this.buffer[start] = length
      return
    }
    const size = varintSize(length)
    this.ensure(size - 1)
    this.buffer.copyWithin(start + size, start + 1, this.pos)
    this.pos += size - 1
    writeVarintAt(this.buffer, start, length)
  }

  /**
   * Starts a nested message expected to be 128 bytes to 16 KB long (a span, a log record): two
   * bytes are kept for its length, so it moves only when it is shorter or longer than that.
   */
  beginSized (): number {
    this.ensure(2)
    const start = this.pos
    this.pos += 2
    return start
  }

  /** Writes the length of the message begun with `beginSized` at `start`. */
  endSized (start: number): void {
    const length = this.pos - start - 2
    if (length >= 128 && length < 16384) {
      this.buffer[start] = (length & 127) | 128
      this.buffer[start + 1] = length >>> 7
      return
    }
    const size = varintSize(length)
    if (size > 2) this.ensure(size - 2)
    this.buffer.copyWithin(start + size, start + 2, this.pos)
    this.pos += size - 2
    writeVarintAt(this.buffer, start, length)
  }

  private grow (bytes: number): void {
    let size = this.buffer.length * 2
    while (size < this.pos + bytes) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buffer.copy(next, 0, 0, this.pos)
    this.buffer = next
  }
}

type Utf8Writable = Buffer & { utf8Write?(value: string, offset: number): number }

/**
 * Node's Buffer writes UTF-8 without the encoding lookup of `write(value, offset, 'utf8')` through
 * `utf8Write` (Node 22 to 26 have it; it is not documented, so `write` stands in where it is gone).
 */
const writeUtf8: (buffer: Buffer, value: string, offset: number) => number =
  typeof (Buffer.prototype as Utf8Writable).utf8Write === 'function'
    ? (buffer, value, offset) => (buffer as Utf8Writable).utf8Write!(value, offset)
    : (buffer, value, offset) => buffer.write(value, offset, 'utf8')

/** Strings shorter than this are copied in JavaScript; longer ones by Node's UTF-8 encoder (measured). */
const SHORT_STRING = 16
/**
 * A pair's string value this long or longer is written by Node's encoder (`asciiPair`), which
 * also tells whether it was ASCII; shorter ones are copied in JavaScript (measured).
 */
const NATIVE_ASCII_VALUE = 32
/** From this length on, a string's UTF-8 size is measured before it is written (see `string`). */
const LONG_STRING = 1024

/**
 * Writes an HrTime as fixed64 nanoseconds at `at`, where the caller has made room for 8 bytes;
 * returns the position after it. seconds x 1e9 + nanos in 32-bit halves: the seconds are split at
 * 2^16 so that every product stays an exact double.
 */
function writeTimeAt (buffer: Buffer, at: number, hrTime: readonly [number, number]): number {
  const seconds = hrTime[0]
  const upper = Math.floor(seconds / 65536)
  const lower = seconds - upper * 65536
  const upperNanos = upper * 1e9 // x 2^16 below
  const lowSum = (upperNanos % 65536) * 65536 + lower * 1e9 + hrTime[1]
  const high = (Math.floor(upperNanos / 65536) + Math.floor(lowSum / 4294967296)) >>> 0
  const low = lowSum >>> 0
  buffer[at] = low & 255
  buffer[at + 1] = (low >>> 8) & 255
  buffer[at + 2] = (low >>> 16) & 255
  buffer[at + 3] = low >>> 24
  buffer[at + 4] = high & 255
  buffer[at + 5] = (high >>> 8) & 255
  buffer[at + 6] = (high >>> 16) & 255
  buffer[at + 7] = high >>> 24
  return at + 8
}

/**
 * Writes `value` (unsigned, below 2^32) as a varint at `at`, where the caller has made room for
 * it; returns the position after it.
 */
function writeVarintAt (buffer: Buffer, at: number, value: number): number {
  let v = value >>> 0
  while (v > 127) {
    buffer[at++] = (v & 127) | 128
    v >>>= 7
  }
  buffer[at++] = v
  return at
}

/** Bytes a varint of `value` (unsigned, below 2^32) takes. */
export function varintSize (value: number): number {
  return value < 128 ? 1 : value < 16384 ? 2 : value < 2097152 ? 3 : value < 268435456 ? 4 : 5
}

/** Hex digit values by character code (upper and lower case). */
const HEX = new Uint8Array(128)
for (let i = 0; i < 10; i++) HEX[48 + i] = i
for (let i = 0; i < 6; i++) {
  HEX[97 + i] = 10 + i
  HEX[65 + i] = 10 + i
}

export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_LENGTH = 2
export const WIRE_FIXED32 = 5
