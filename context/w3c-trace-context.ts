import {
  type Context, createContextKey, isSpanContextValid, ROOT_CONTEXT, type SpanContext, type TextMapGetter,
  type TextMapPropagator, type TextMapSetter, TraceFlags
} from '@opentelemetry/api'
import { trace } from './otel-api.js'
import { isTracingSuppressed } from '@opentelemetry/core'
import { LinkedContext } from './linked-context.js'
import { MAX_TRACESTATE_HEADER_LENGTH, StrictTraceState } from './trace-state.js'

export const TRACEPARENT = 'traceparent'
export const TRACESTATE = 'tracestate'

/** Level 2: the trace-id's rightmost 7 bytes are random. */
const RANDOM_FLAG = 0x02

/**
 * The SDK keeps only the sampled bit on the spans it creates, so the random flag is remembered in
 * the context and written back on injection: as the trace id, for a flag that arrived with an
 * inbound traceparent; as a mark on the parent context, for traces this service starts.
 */
const RANDOM_TRACE_ID_KEY = createContextKey('fastify-otel-kit W3C random trace-id')
const LOCAL_ROOT_KEY = createContextKey('fastify-otel-kit W3C locally started trace')

/**
 * The parent context for a trace this service starts with a random trace id: ROOT_CONTEXT plus a
 * mark, built once, so marking costs nothing per request. Spans started under it belong to a
 * trace started here (a span context set by hand from elsewhere would be the exception).
 */
export const LOCAL_ROOT_CONTEXT: Context = LinkedContext.ROOT.setValue(LOCAL_ROOT_KEY, true)

/** The same mark on any other context (one that carries baggage, say). */
export function markLocalRoot (context: Context): Context {
  return context === ROOT_CONTEXT || context === LinkedContext.ROOT ? LOCAL_ROOT_CONTEXT : context.setValue(LOCAL_ROOT_KEY, true)
}

/** A span context with a well-formed, non-zero trace id and span id (the API's check, without regular expressions). */
export function isValidSpanContext (spanContext: SpanContext | undefined): spanContext is SpanContext {
  if (spanContext === undefined) return false
  const { traceId, spanId } = spanContext
  return traceId.length === 32 && spanId.length === 16 &&
    isLowerHex(traceId, 0, 32) && isLowerHex(spanId, 0, 16) && !isZero(traceId, 0, 32) && !isZero(spanId, 0, 16)
}

function markRandomTraceId (context: Context, traceId: string): Context {
  return context.setValue(RANDOM_TRACE_ID_KEY, traceId)
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
 */
export function parseTraceParent (header: string): ParsedTraceParent | undefined {
  if (typeof header !== 'string') return undefined
  let from = 0
  let to = header.length
  // HTTP parsers strip this already; other carriers (queues, JSON) may not.
  while (from < to && isOws(header.charCodeAt(from))) from++
  while (to > from && isOws(header.charCodeAt(to - 1))) to--
  const value = from === 0 && to === header.length ? header : header.slice(from, to)
  const length = value.length
  if (length < 55 || length > 1024) return undefined
  // Hand-rolled rather than a regular expression: this runs for every inbound request.
  if (value.charCodeAt(2) !== DASH || value.charCodeAt(35) !== DASH || value.charCodeAt(52) !== DASH) return undefined
  if (!isLowerHex(value, 0, 2) || !isLowerHex(value, 3, 35) || !isLowerHex(value, 36, 52) || !isLowerHex(value, 53, 55)) return undefined
  const version = value.charCodeAt(0) === F && value.charCodeAt(1) === F ? 'ff' : value.slice(0, 2)
  if (version === 'ff') return undefined
  if (length > 55 && (version === '00' || value.charCodeAt(55) !== DASH)) return undefined
  if (isZero(value, 3, 35) || isZero(value, 36, 52)) return undefined
  return { traceId: value.slice(3, 35), spanId: value.slice(36, 52), flags: hexByte(value, 53) }
}

/**
 * The trace-flags this service sends for `spanContext`: the sampled flag, and the random flag when
 * the trace id is known to be random (a trace started here, or one whose inbound traceparent
 * said so). Every other bit is reserved and sent as zero, whatever arrived.
 */
export function w3cTraceFlags (context: Context, spanContext: SpanContext): number {
  const random = context.getValue(LOCAL_ROOT_KEY) === true || context.getValue(RANDOM_TRACE_ID_KEY) === spanContext.traceId
  return (spanContext.traceFlags & TraceFlags.SAMPLED) | (random ? RANDOM_FLAG : 0)
}

/**
 * A version 00 `traceparent` (also the format of the Level 2 `traceresponse` header). Only the
 * two defined flags can be written, so the value is always 55 well-formed characters.
 */
export function formatTraceParent (spanContext: SpanContext, flags: number): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-0${(flags & (TraceFlags.SAMPLED | RANDOM_FLAG)).toString(16)}`
}

/** Optional white space (RFC 9110): space or tab. */
function isOws (code: number): boolean {
  return code === 0x20 || code === 0x09
}

const DASH = 0x2d
const ZERO = 0x30
const F = 0x66

/** Lower-case hex digits only: 0-9 and a-f (W3C forbids upper case). */
export function isLowerHex (value: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i)
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false
  }
  return true
}

function isZero (value: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (value.charCodeAt(i) !== ZERO) return false
  return true
}

function hexByte (value: string, at: number): number {
  const digit = (c: number): number => (c <= 0x39 ? c - 0x30 : c - 0x57)
  return digit(value.charCodeAt(at)) * 16 + digit(value.charCodeAt(at + 1))
}

/**
 * W3C Trace Context propagator: strict `traceparent` and `tracestate` parsing, the sampled flag
 * honoured and re-emitted, the Level 2 random flag kept for the trace that carried it.
 */
export class W3CTraceContextPropagator implements TextMapPropagator {
  /** Extracts a span context (and nothing else): a composite may skip it once another one won. */
  readonly extractsSpanContextOnly = true

  inject (context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context)
    if (spanContext === undefined || !isSpanContextValid(spanContext) || isTracingSuppressed(context)) return
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
      traceFlags: parsed.flags & TraceFlags.SAMPLED,
      isRemote: true
    }
    const stateValue = combined(getter.get(carrier, TRACESTATE))
    if (stateValue !== undefined) {
      const state = StrictTraceState.parse(stateValue)
      if (state !== undefined && state.size > 0) spanContext.traceState = state
    }
    const withSpan = trace.setSpanContext(context, spanContext)
    return (parsed.flags & RANDOM_FLAG) !== 0 ? markRandomTraceId(withSpan, parsed.traceId) : withSpan
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
