import { readFields, WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT, type WireField } from '../sdk/export/protowire.js'

/**
 * The field readers and the AnyValue decoding shared by the OTLP decoders (decode-traces.ts,
 * decode-logs.ts). Unknown fields are skipped, as protobuf readers must.
 */

export type AttributeValue = string | number | boolean | bigint | Buffer | AttributeValue[] | { [key: string]: AttributeValue }
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

/** An AnyValue message at `field`, decoded; undefined when absent. */
export function anyValueAt (fields: WireField[], field: number): AttributeValue | undefined {
  const value = messages(fields, field)[0]
  return value === undefined ? undefined : anyValue(readFields(value))
}

/** The resource (field 1) of a ResourceSpans / ResourceLogs and its scope containers (field 2). */
export function resourceAndScopes (resourceMessage: Buffer): { resource: AttributeMap, scopes: Array<{ scope: { name: string, version: string }, items: Buffer[] }> } {
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
    case 1: return (f.value as Buffer).toString('utf8')
    case 2: return f.value === 1n
    case 3: {
      const signed = BigInt.asIntN(64, f.value as bigint)
      return signed >= BigInt(Number.MIN_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(signed) : signed
    }
    case 4: {
      const bytes = Buffer.alloc(8)
      bytes.writeBigUInt64LE(f.value as bigint)
      return bytes.readDoubleLE()
    }
    case 5: return messages(fields, 5).flatMap((array) => messages(readFields(array), 1).map((item) => anyValue(readFields(item))))
    case 6: return keyValues(readFields(f.value as Buffer), 1)
    case 7: return f.value as Buffer
    default: return ''
  }
}
