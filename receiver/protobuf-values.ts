import {
  readFields,
  WIRE_BYTES,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_VARINT,
  type WireField
} from '../sdk/export/protobuf/protowire.js'

/**
 * The field readers and the AnyValue decoding shared by the OTLP protobuf decoders (decode-traces.ts,
 * decode-logs.ts, decode-metrics.ts). Unknown fields are skipped, as protobuf readers must.
 */

export type AttributeValue =
  string | number | boolean | bigint | Buffer | AttributeValue[] | { [key: string]: AttributeValue }
export type AttributeMap = Record<string, AttributeValue>

export function messages (fields: WireField[], field: number): Buffer[] {
  return fields.filter((f) => f.field === field && f.wire === WIRE_BYTES).map((f) => f.value as Buffer)
}

export function text (fields: WireField[], field: number): string {
  const value = fields.find((f) => f.field === field && f.wire === WIRE_BYTES)?.value as Buffer | undefined
  return value?.toString('utf8') ?? ''
}

export function hex (fields: WireField[], field: number): string {
  const value = fields.find((f) => f.field === field && f.wire === WIRE_BYTES)?.value as Buffer | undefined
  return value?.toString('hex') ?? ''
}

export function varint (fields: WireField[], field: number): bigint {
  return (fields.find((f) => f.field === field && f.wire === WIRE_VARINT)?.value as bigint | undefined) ?? 0n
}

export function fixed64 (fields: WireField[], field: number): bigint {
  return (fields.find((f) => f.field === field && f.wire === WIRE_FIXED64)?.value as bigint | undefined) ?? 0n
}

export function fixed32 (fields: WireField[], field: number): number {
  return Number(fields.find((f) => f.field === field && f.wire === WIRE_FIXED32)?.value ?? 0)
}

/** A double (wire type fixed64) at `field`; undefined when absent (proto3 `optional double`). */
export function double (fields: WireField[], field: number): number | undefined {
  const bits = fields.find((f) => f.field === field && f.wire === WIRE_FIXED64)?.value as bigint | undefined
  return bits === undefined ? undefined : bitsToDouble(bits)
}

/** A sint32 (zigzag varint) at `field`. */
export function sint32 (fields: WireField[], field: number): number {
  const n = varint(fields, field)
  return Number((n >> 1n) ^ -(n & 1n))
}

/** A sfixed64 at `field` (the number while it is exact, a bigint beyond). */
export function sfixed64 (fields: WireField[], field: number): number | bigint {
  return exactInteger(BigInt.asIntN(64, fixed64(fields, field)))
}

/**
 * A repeated fixed64 or double at `field`, packed (one length-delimited run, what proto3 writes)
 * or not (one field per element, which readers must accept too).
 */
export function repeated64 (fields: WireField[], field: number, as: 'fixed64' | 'double'): number[] {
  const out: number[] = []
  const push = (bits: bigint): void => {
    out.push(as === 'double' ? bitsToDouble(bits) : Number(bits))
  }
  for (const f of fields) {
    if (f.field !== field) continue
    if (f.wire === WIRE_FIXED64) push(f.value as bigint)
    if (f.wire !== WIRE_BYTES) continue
    const run = f.value as Buffer
    if (run.length % 8 !== 0) throw new RangeError(`packed field ${field} is not a multiple of 8 bytes`)
    for (let at = 0; at < run.length; at += 8) push(run.readBigUInt64LE(at))
  }
  return out
}

/** A repeated uint64 at `field`, packed or not. */
export function repeatedVarint (fields: WireField[], field: number): number[] {
  const out: number[] = []
  for (const f of fields) {
    if (f.field !== field) continue
    if (f.wire === WIRE_VARINT) out.push(Number(f.value))
    if (f.wire === WIRE_BYTES) out.push(...readPackedVarints(f.value as Buffer))
  }
  return out
}

/** An AnyValue message at `field`, decoded; undefined when absent or empty (no value set). */
export function anyValueAt (fields: WireField[], field: number): AttributeValue | undefined {
  const value = messages(fields, field)[0]
  if (value === undefined) return undefined
  const parts = readFields(value)
  return parts.length === 0 ? undefined : anyValue(parts)
}

/** The resource (field 1) of a ResourceSpans / ResourceLogs and its scope containers (field 2). */
export function resourceAndScopes (resourceMessage: Buffer): {
  resource: AttributeMap
  scopes: Array<{ scope: { name: string; version: string }; items: Buffer[] }>
} {
  const fields = readFields(resourceMessage)
  const resource = messages(fields, 1)[0]
  return {
    resource: resource === undefined ? {} : keyValues(readFields(resource), 1),
    scopes: messages(fields, 2).map((container) => {
      const scopeFields = readFields(container)
      const scope = messages(scopeFields, 1)[0]
      const parts = scope === undefined ? [] : readFields(scope)
      return { scope: { name: text(parts, 1), version: text(parts, 2) }, items: messages(scopeFields, 2) }
    })
  }
}

/** repeated KeyValue { string key = 1; AnyValue value = 2; } */
export function keyValues (fields: WireField[], field: number): AttributeMap {
  const out: AttributeMap = {}
  for (const kv of messages(fields, field)) {
    const parts = readFields(kv)
    const value = messages(parts, 2)[0]
    out[text(parts, 1)] = value === undefined ? '' : anyValue(readFields(value))
  }
  return out
}

/** AnyValue: string 1, bool 2, int 3, double 4, array 5, kvlist 6, bytes 7. */
export function anyValue (fields: WireField[]): AttributeValue {
  const [f] = fields
  if (f === undefined) return ''
  switch (f.field) {
    case 1:
      return (f.value as Buffer).toString('utf8')
    case 2:
      return f.value === 1n
    case 3:
      return exactInteger(BigInt.asIntN(64, f.value as bigint))
    case 4:
      return bitsToDouble(f.value as bigint)
    case 5:
      return messages(fields, 5).flatMap((array) =>
        messages(readFields(array), 1).map((item) => anyValue(readFields(item)))
      )
    case 6:
      return keyValues(readFields(f.value as Buffer), 1)
    case 7:
      return f.value as Buffer
    default:
      return ''
  }
}

/** An int64 as a number while that is exact, as a bigint beyond (the JSON decoders use it too). */
export function exactInteger (value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
}

function bitsToDouble (bits: bigint): number {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64LE(bits)
  return bytes.readDoubleLE()
}

function readPackedVarints (run: Buffer): number[] {
  const out: number[] = []
  let value = 0n
  let shift = 0n
  for (const byte of run) {
    value |= BigInt(byte & 0x7f) << shift
    shift += 7n
    if ((byte & 0x80) !== 0) {
      if (shift > 63n) throw new RangeError('varint too long')
      continue
    }
    out.push(Number(value))
    value = 0n
    shift = 0n
  }
  if (shift !== 0n) throw new RangeError('truncated packed varint')
  return out
}
