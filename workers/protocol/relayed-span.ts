import type { Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api'

/**
 * An ended span as plain data, to travel from a worker thread to the main thread's pipeline. A
 * flat array rather than an object: it is structured-cloned with every reply, and the serializer
 * charges per object (see messages.ts). Absent strings are '', absent lists 0.
 */
export type RelayedSpan = [
  name: string, kind: SpanKind, traceId: string, spanId: string, traceFlags: number, traceState: string,
  parentSpanId: string, startSeconds: number, startNanos: number, endSeconds: number, endNanos: number,
  attributes: Attributes, events: RelayedEvent[] | 0, links: RelayedLink[] | 0, statusCode: SpanStatusCode,
  statusMessage: string, droppedAttributes: number, droppedEvents: number, droppedLinks: number,
  scopeName: string, scopeVersion: string, scopeSchemaUrl: string
]
export type RelayedEvent = [name: string, seconds: number, nanos: number, attributes: Attributes | 0, dropped: number]
export type RelayedLink = [traceId: string, spanId: string, traceFlags: number, traceState: string, attributes: Attributes | 0, dropped: number]
