import {
  type Context, createContextKey, isSpanContextValid, type SpanContext, type TextMapGetter,
  type TextMapPropagator, type TextMapSetter, trace, TraceFlags
} from '@opentelemetry/api'
import { isTracingSuppressed } from '@opentelemetry/core'
import { StrictTraceState } from './trace-state.js'

export const TRACEPARENT = 'traceparent'
export const TRACESTATE = 'tracestate'

/** Level 2: the trace-id's rightmost 7 bytes are random. */
const RANDOM_FLAG = 0x02
const TRACEPARENT_PATTERN = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE_ID = '00000000000000000000000000000000'
const ZERO_SPAN_ID = '0000000000000000'

/**
 * The SDK keeps only the sampled bit on the spans it creates, so the random flag is remembered
 * in the context for the trace-id it belongs to and written back on injection.
 */
const RANDOM_TRACE_ID_KEY = createContextKey('fastify-otel-kit W3C random trace-id')

/** Marks `traceId` as random (Level 2), for traces this service starts with a random id. */
export function markRandomTraceId (context: Context, traceId: string): Context {
  return context.setValue(RANDOM_TRACE_ID_KEY, traceId)
}

export interface ParsedTraceParent {
  traceId: string
  spanId: string
  /** The whole flags byte as received. */
  flags: number
}

/**
 * Parses a `traceparent` value strictly (W3C Trace Context Level 2, 3.2): lower-case hex only,
 * all-zero ids and version ff invalid, exactly 55 characters for version 00, and for a higher
 * version the known fields followed by nothing or `-`.
 */
export function parseTraceParent (value: string): ParsedTraceParent | undefined {
  if (value.length < 55 || value.length > 1024) return undefined
  const match = TRACEPARENT_PATTERN.exec(value)
  if (match === null) return undefined
  const [, version, traceId, spanId, flags, suffix] = match as unknown as [string, string, string, string, string, string | undefined]
  if (version === 'ff') return undefined
  if (version === '00' && suffix !== undefined) return undefined
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined
  return { traceId, spanId, flags: parseInt(flags, 16) }
}

/**
 * W3C Trace Context propagator: strict `traceparent` and `tracestate` parsing, the sampled flag
 * honoured and re-emitted, the Level 2 random flag kept for the trace that carried it.
 */
export class W3CTraceContextPropagator implements TextMapPropagator {
  inject (context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context)
    if (spanContext === undefined || !isSpanContextValid(spanContext) || isTracingSuppressed(context)) return
    const random = context.getValue(RANDOM_TRACE_ID_KEY) === spanContext.traceId ? RANDOM_FLAG : 0
    const flags = (spanContext.traceFlags & TraceFlags.SAMPLED) | random
    setter.set(carrier, TRACEPARENT, `00-${spanContext.traceId}-${spanContext.spanId}-0${flags.toString(16)}`)
    const state = spanContext.traceState?.serialize()
    if (state !== undefined && state !== '') setter.set(carrier, TRACESTATE, state)
  }

  extract (context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = single(getter.get(carrier, TRACEPARENT))
    if (header === undefined) return context
    const parsed = parseTraceParent(header)
    if (parsed === undefined) return context
    const spanContext: SpanContext = {
      traceId: parsed.traceId,
      spanId: parsed.spanId,
      traceFlags: parsed.flags & TraceFlags.SAMPLED,
      isRemote: true
    }
    const stateHeader = getter.get(carrier, TRACESTATE)
    // Several tracestate headers are one list (RFC 9110 field combination).
    const stateValue = Array.isArray(stateHeader) ? stateHeader.join(',') : stateHeader
    if (typeof stateValue === 'string' && stateValue.length <= 8192) {
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

/** One header value; a repeated traceparent is ambiguous and therefore invalid. */
function single (value: string | string[] | undefined): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0]
  return undefined
}
