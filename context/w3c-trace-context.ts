import {
  type Context,
  createContextKey,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  TraceFlags
} from '@opentelemetry/api'
import { trace } from './otel-api.js'
import { isTracingSuppressed } from '@opentelemetry/core'
import { LinkedContext } from './linked-context.js'
import { hexByte, isHexId, isValidSpanContext } from './hex.js'
import { MAX_TRACESTATE_HEADER_LENGTH, StrictTraceState } from './trace-state.js'

export { isValidSpanContext }

export const TRACEPARENT = 'traceparent'
export const TRACESTATE = 'tracestate'

/** The sampled flag (TraceFlags.SAMPLED, read once rather than from the API's enum object per call). */
const SAMPLED_FLAG: number = TraceFlags.SAMPLED
/** Level 2: the trace-id's rightmost 7 bytes are random. */
const RANDOM_FLAG = 0x02

/**
 * The SDK keeps only the sampled bit on the spans it creates, so the random flag is remembered in
 * the context and written back on injection. One key, read once per injection: its value is the
 * trace id, for a flag that arrived with an inbound traceparent, or `true` on the parent context
 * of traces this service starts (every trace started under it has a random id).
 */
const RANDOM_TRACE_ID_KEY = createContextKey('fastify-otel-kit W3C random trace-id')
const LOCAL_ROOT = true

/**
 * The parent context for a trace this service starts with a random trace id: ROOT_CONTEXT plus a
 * mark, built once, so marking costs nothing per request. Spans started under it belong to a
 * trace started here (a span context set by hand from elsewhere would be the exception).
 */
export const LOCAL_ROOT_CONTEXT: Context = LinkedContext.ROOT.setValue(RANDOM_TRACE_ID_KEY, LOCAL_ROOT)

/** The same mark on any other context (one that carries baggage, say). */
export function markLocalRoot (context: Context): Context {
  return context === ROOT_CONTEXT || context === LinkedContext.ROOT
    ? LOCAL_ROOT_CONTEXT
    : context.setValue(RANDOM_TRACE_ID_KEY, LOCAL_ROOT)
}

export interface ParsedTraceParent {
  traceId: string
  spanId: string
  /** The whole flags byte as received. */
  flags: number
}

/**
 * Parses a `traceparent` value strictly (W3C Trace Context, traceparent header): lower-case hex
 * only, all-zero ids and version ff invalid, exactly 55 characters for version 00, and for a
 * higher version the known fields followed by nothing or `-` (what follows is not looked at).
 * Space or tab around the value is the field's optional white space, not part of it.
 * Hand-rolled rather than a regular expression, and reading the value in place: this runs for
 * every inbound request.
 */
export function parseTraceParent (header: string): ParsedTraceParent | undefined {
  if (typeof header !== 'string') return undefined
  let from = 0
  let to = header.length
  if (to !== 55) {
    // HTTP parsers strip this already; other carriers (queues, JSON) may not.
    while (from < to && isOws(header.charCodeAt(from))) from++
    while (to > from && isOws(header.charCodeAt(to - 1))) to--
  }
  const length = to - from
  if (length < 55 || length > 1024) return undefined
  if (
    header.charCodeAt(from + 2) !== DASH ||
    header.charCodeAt(from + 35) !== DASH ||
    header.charCodeAt(from + 52) !== DASH
  ) { return undefined }
  const version = hexByte(header, from)
  // Version ff is invalid; a version after 00 may carry more fields, after a dash.
  if (version < 0 || version === 0xff) return undefined
  if (length > 55 && (version === 0 || header.charCodeAt(from + 55) !== DASH)) return undefined
  const flags = hexByte(header, from + 53)
  // Lower-case hex, and not all zeros.
  if (flags < 0 || !isHexId(header, from + 3, 32) || !isHexId(header, from + 36, 16)) return undefined
  return { traceId: header.slice(from + 3, from + 35), spanId: header.slice(from + 36, from + 52), flags }
}

/**
 * The trace-flags this service sends for `spanContext`: the sampled flag, and the random flag when
 * the trace id is known to be random (a trace started here, or one whose inbound traceparent
 * said so). Every other bit is reserved and sent as zero, whatever arrived.
 */
export function w3cTraceFlags (context: Context, spanContext: SpanContext): number {
  const mark = context.getValue(RANDOM_TRACE_ID_KEY)
  const random = mark === LOCAL_ROOT || mark === spanContext.traceId
  return (spanContext.traceFlags & SAMPLED_FLAG) | (random ? RANDOM_FLAG : 0)
}

/** The trace-flags field for each value of the two defined flags. */
const FLAGS_FIELD = ['-00', '-01', '-02', '-03'] as const

/**
 * A version 00 `traceparent` (also the format of the Level 2 `traceresponse` header). Only the
 * two defined flags can be written, so the value is always 55 well-formed characters.
 */
export function formatTraceParent (spanContext: SpanContext, flags: number): string {
  return '00-' + spanContext.traceId + '-' + spanContext.spanId + FLAGS_FIELD[flags & (SAMPLED_FLAG | RANDOM_FLAG)]!
}

/** Optional white space (RFC 9110): space or tab. */
function isOws (code: number): boolean {
  return code === 0x20 || code === 0x09
}

const DASH = 0x2d

/**
 * W3C Trace Context propagator: strict `traceparent` and `tracestate` parsing, the sampled flag
 * honoured and re-emitted, the Level 2 random flag kept for the trace that carried it.
 */
export class W3CTraceContextPropagator implements TextMapPropagator {
  /** Extracts a span context (and nothing else): a composite may skip it once another one won. */
  readonly extractsSpanContextOnly = true

  inject (context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context)
    if (!isValidSpanContext(spanContext) || isTracingSuppressed(context)) return
    setter.set(carrier, TRACEPARENT, formatTraceParent(spanContext, w3cTraceFlags(context, spanContext)))
    if (spanContext.traceState === undefined) return
    // A trace state of another make (set by user code or another propagator) is checked and cut
    // to size like our own: what goes out is always a valid tracestate of at most 512 characters.
    const state = StrictTraceState.from(spanContext.traceState)?.serialize()
    if (state !== undefined && state !== '') setter.set(carrier, TRACESTATE, state)
  }

  extract (context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = single(getter.get(carrier, TRACEPARENT))
    if (header === undefined) return context
    const parsed = parseTraceParent(header)
    // A traceparent that does not parse means its tracestate is not even looked at (W3C 3.3).
    if (parsed === undefined) return context
    const spanContext: SpanContext = {
      traceId: parsed.traceId,
      spanId: parsed.spanId,
      traceFlags: parsed.flags & SAMPLED_FLAG,
      isRemote: true
    }
    const stateValue = combined(getter.get(carrier, TRACESTATE))
    if (stateValue !== undefined) {
      const state = StrictTraceState.parse(stateValue)
      if (state !== undefined && state !== StrictTraceState.EMPTY) spanContext.traceState = state
    }
    const withSpan = trace.setSpanContext(context, spanContext)
    if ((parsed.flags & RANDOM_FLAG) !== 0) return withSpan.setValue(RANDOM_TRACE_ID_KEY, parsed.traceId)
    // A mark already there (extraction on top of a request context, for a message received inside
    // a handler) speaks of another trace: this one is random only if its traceparent says so.
    return context.getValue(RANDOM_TRACE_ID_KEY) === undefined ? withSpan : withSpan.deleteValue(RANDOM_TRACE_ID_KEY)
  }

  fields (): string[] {
    return [TRACEPARENT, TRACESTATE]
  }
}

/**
 * One header value; a repeated traceparent is ambiguous and therefore invalid (the W3C test
 * harness expects a new trace), where OpenTelemetry JS takes the first.
 */
function single (value: string | string[] | undefined): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0]
  return undefined
}

/** Several tracestate header fields are one list, combined in order (RFC 9110, 5.3). */
function combined (value: string | string[] | undefined): string | undefined {
  if (typeof value === 'string') return value
  if (!Array.isArray(value)) return undefined
  let length = 0
  for (const field of value) {
    if (typeof field !== 'string') return undefined
    length += field.length + 1
  }
  return length > MAX_TRACESTATE_HEADER_LENGTH + 1 ? undefined : value.join(',')
}
