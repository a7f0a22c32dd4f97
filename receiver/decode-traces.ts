import { readFields, WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT, type WireField } from '../sdk/export/protowire.js'

/**
 * Decodes an OTLP ExportTraceServiceRequest (opentelemetry-proto, trace/v1) into flat spans with
 * their resource and scope. Unknown fields are skipped, as protobuf readers must.
 */

export type AttributeValue = string | number | boolean | bigint | Buffer | AttributeValue[] | { [key: string]: AttributeValue }
export type AttributeMap = Record<string, AttributeValue>

export interface ReceivedEvent {
  name: string
  timeUnixNano: bigint
  attributes: AttributeMap
}

export interface ReceivedLink {
  traceId: string
  spanId: string
  attributes: AttributeMap
}

export interface ReceivedSpan {
  traceId: string
  spanId: string
  /** Empty for a root span. */
  parentSpanId: string
  traceState: string
  name: string
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number
  startTimeUnixNano: bigint
  endTimeUnixNano: bigint
  attributes: AttributeMap
  events: ReceivedEvent[]
  links: ReceivedLink[]
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number, message: string }
  /** OTLP span flags (the W3C trace flags in the low byte, plus the remote-parent bits). */
  flags: number
  resource: AttributeMap
  scope: { name: string, version: string }
}

export const SPAN_KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']
export const STATUS_NAMES = ['UNSET', 'OK', 'ERROR']

export function decodeTraceRequest (request: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  for (const resourceSpans of messages(readFields(request), 1)) {
    const fields = readFields(resourceSpans)
    const resourceMessage = messages(fields, 1)[0]
    const resource = resourceMessage === undefined ? {} : keyValues(readFields(resourceMessage), 1)
    for (const scopeSpans of messages(fields, 2)) {
      const scopeFields = readFields(scopeSpans)
      const scopeMessage = messages(scopeFields, 1)[0]
      const scopeParts = scopeMessage === undefined ? [] : readFields(scopeMessage)
      const scope = { name: text(scopeParts, 1), version: text(scopeParts, 2) }
      for (const span of messages(scopeFields, 2)) spans.push(decodeSpan(readFields(span), resource, scope))
    }
  }
  return spans
}

function decodeSpan (f: WireField[], resource: AttributeMap, scope: ReceivedSpan['scope']): ReceivedSpan {
  const statusMessage = messages(f, 15)[0]
  const status = statusMessage === undefined ? [] : readFields(statusMessage)
  return {
    traceId: hex(f, 1),
    spanId: hex(f, 2),
    traceState: text(f, 3),
    parentSpanId: hex(f, 4),
    name: text(f, 5),
    kind: Number(varint(f, 6)),
    startTimeUnixNano: fixed64(f, 7),
    endTimeUnixNano: fixed64(f, 8),
    attributes: keyValues(f, 9),
    events: messages(f, 11).map((event) => {
      const e = readFields(event)
      return { timeUnixNano: fixed64(e, 1), name: text(e, 2), attributes: keyValues(e, 3) }
    }),
    links: messages(f, 13).map((link) => {
      const l = readFields(link)
      return { traceId: hex(l, 1), spanId: hex(l, 2), attributes: keyValues(l, 4) }
    }),
    status: { message: text(status, 2), code: Number(varint(status, 3)) },
    flags: Number(f.find((x) => x.field === 16 && x.wire === WIRE_FIXED32)?.value ?? 0),
    resource,
    scope
  }
}

function messages (fields: WireField[], field: number): Buffer[] {
  return fields.filter((f) => f.field === field && f.wire === WIRE_BYTES).map((f) => f.value as Buffer)
}

function text (fields: WireField[], field: number): string {
  const value = fields.find((f) => f.field === field && f.wire === WIRE_BYTES)?.value as Buffer | undefined
  return value?.toString('utf8') ?? ''
}

function hex (fields: WireField[], field: number): string {
  const value = fields.find((f) => f.field === field && f.wire === WIRE_BYTES)?.value as Buffer | undefined
  return value?.toString('hex') ?? ''
}

function varint (fields: WireField[], field: number): bigint {
  return (fields.find((f) => f.field === field && f.wire === WIRE_VARINT)?.value as bigint | undefined) ?? 0n
}

function fixed64 (fields: WireField[], field: number): bigint {
  return (fields.find((f) => f.field === field && f.wire === WIRE_FIXED64)?.value as bigint | undefined) ?? 0n
}

/** repeated KeyValue { string key = 1; AnyValue value = 2; } */
function keyValues (fields: WireField[], field: number): AttributeMap {
  const out: AttributeMap = {}
  for (const kv of messages(fields, field)) {
    const parts = readFields(kv)
    const value = messages(parts, 2)[0]
    out[text(parts, 1)] = value === undefined ? '' : anyValue(readFields(value))
  }
  return out
}

/** AnyValue: string 1, bool 2, int 3, double 4, array 5, kvlist 6, bytes 7. */
function anyValue (fields: WireField[]): AttributeValue {
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
