/**
 * Ended spans as one flat list of plain values, for the trip home in a reply. The serializer
 * charges per element and per object, so there is no array or object per span, event, link or
 * attribute set: one span is a run of values, read back in order (span-decoder.ts).
 *
 * One span:
 *   name, kind, traceId, spanId, parentSpanId, traceFlags, traceState,
 *   startSeconds, startNanos, endSeconds, endNanos, statusCode, statusMessage,
 *   droppedAttributes, droppedEvents, droppedLinks,
 *   scopeName, scopeVersion, scopeSchemaUrl   (or a single 0: the previous span's scope; 1: this package's)
 *   attributeCount, then key, value for each
 *   eventCount, then for each: name, seconds, nanos, droppedAttributes, attributeCount, key, value...
 *   linkCount, then for each: traceId, spanId, traceFlags, traceState, droppedAttributes, attributeCount, key, value...
 * A span's traceFlags carry REMOTE_PARENT when its parent came from another process, a link's
 * traceFlags REMOTE when the linked context did: the trace flags use the low 8 bits only.
 * traceId '' is the previous span's trace id (for a task's first span: its dispatch span's); absent
 * strings are ''. The first span of a batch of late spans spells out its trace id and scope, so
 * batches can be concatenated. Strings are what the serializer charges most for (about 0.1 us
 * each to copy and rebuild): the task span, in every reply, carries only its ids.
 */
export interface SpanBatch {
  readonly fields: unknown[]
  count: number
  lastTraceId: string
  lastScope: object | undefined
}

export const SAME_SCOPE = 0
export const PACKAGE_SCOPE = 1

/** Above the 8 bits of W3C trace flags: the span's parent (or the link's context) is remote. */
export const REMOTE_FLAG = 0x100
