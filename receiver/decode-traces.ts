import { readFields, type WireField } from '../sdk/export/protobuf/protowire.js'
import {
  type AttributeMap,
  fixed32,
  fixed64,
  hex,
  keyValues,
  messages,
  resourceAndScopes,
  text,
  varint
} from './protobuf-values.js'

export type { AttributeMap, AttributeValue } from './protobuf-values.js'

/**
 * Decodes an OTLP ExportTraceServiceRequest (opentelemetry-proto, trace/v1) into flat spans with
 * their resource and scope. Unknown fields are skipped, as protobuf readers must.
 */

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
  status: { code: number; message: string }
  /** OTLP span flags (the W3C trace flags in the low byte, plus the remote-parent bits). */
  flags: number
  resource: AttributeMap
  scope: { name: string; version: string }
}

export const SPAN_KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']
export const STATUS_NAMES = ['UNSET', 'OK', 'ERROR']

export function decodeTraceRequest (request: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  for (const resourceSpans of messages(readFields(request), 1)) {
    const { resource, scopes } = resourceAndScopes(resourceSpans)
    for (const { scope, items } of scopes) {
      for (const span of items) spans.push(decodeSpan(readFields(span), resource, scope))
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
    flags: fixed32(f, 16),
    resource,
    scope
  }
}
