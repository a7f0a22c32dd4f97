/**
 * The messages between runInWorker (main thread) and the worker side. They are structured-cloned
 * on every task, and the serializer charges per element and per object: each message is one flat
 * array, optional fields are left off the end, and a task that records nothing gets no reply
 * wrapper at all (its result or throw travels exactly as with a plain `pool.run`). The markers
 * carry the protocol version, so mismatched versions on the two sides fail loudly.
 */
export const ENVELOPE_MARK = 'fastify-otel-kit/task@3'
export const REPLY_MARK = 'fastify-otel-kit/reply@3'

/**
 * [mark, traceId, spanId, traceFlags, task, traceState?, baggage?, spanName?]. The caller's span
 * context as its parts (no traceparent to format here and parse there); traceId '' when there is
 * none. The optional strings are '' when absent and left off when all three are.
 */
export type TaskEnvelope = [typeof ENVELOPE_MARK, string, string, number, unknown, string?, string?, string?]

/** The envelope's positions by name (a const enum: read as plain numbers, no lookup per task). */
export const enum Envelope {
  TraceId = 1,
  SpanId = 2,
  TraceFlags = 3,
  Task = 4,
  TraceState = 5,
  Baggage = 6,
  SpanName = 7
}

export function makeEnvelope (
  traceId: string,
  spanId: string,
  traceFlags: number,
  task: unknown,
  traceState: string,
  baggage: string,
  spanName: string
): TaskEnvelope {
  return traceState === '' && baggage === '' && spanName === ''
    ? [ENVELOPE_MARK, traceId, spanId, traceFlags, task]
    : [ENVELOPE_MARK, traceId, spanId, traceFlags, task, traceState, baggage, spanName]
}

export function isEnvelope (value: unknown): value is TaskEnvelope {
  return Array.isArray(value) && value[0] === ENVELOPE_MARK && (value.length === 5 || value.length === 8)
}

/**
 * Only for tasks that record spans: [mark, ok (1 or 0), result or thrown value, threadId,
 * spans of this task, spans of earlier tasks (late), ...the spans' fields (relayed-spans.ts)].
 */
export type TaskReply = [typeof REPLY_MARK, 0 | 1, unknown, number, number, number, ...unknown[]]

/** The reply's positions by name. */
export const enum Reply {
  Ok = 1,
  Value = 2,
  ThreadId = 3,
  TaskSpans = 4,
  LateSpans = 5
}

/** Where the spans' fields start in a reply. */
export const REPLY_SPANS_AT = 6

export function replyHeader (threadId: number): TaskReply {
  return [REPLY_MARK, 1, undefined, threadId, 0, 0]
}

export function isReply (value: unknown): value is TaskReply {
  return Array.isArray(value) && value[0] === REPLY_MARK && value.length >= REPLY_SPANS_AT
}

/** Piscina's transferable wrapper (`Piscina.move()`), recognised by its registered symbols. */
export const PISCINA_TRANSFERABLE = Symbol.for('Piscina.transferable')
export const PISCINA_VALUE = Symbol.for('Piscina.valueOf')

export function isTransferableWrapper (
  value: unknown
): value is { [PISCINA_TRANSFERABLE]: unknown; [PISCINA_VALUE]: unknown } {
  return value !== null && typeof value === 'object' && PISCINA_TRANSFERABLE in value && PISCINA_VALUE in value
}
