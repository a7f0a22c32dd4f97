import {
  type Context,
  createContextKey,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  TraceFlags
} from '@opentelemetry/api'
import { trace } from './otel-api.js'
import { isTracingSuppressed } from '@opentelemetry/core'
import { isHex, isHexId, isValidSpanContext } from './hex.js'

export const B3_SINGLE = 'b3'
export const X_B3_TRACE_ID = 'x-b3-traceid'
export const X_B3_SPAN_ID = 'x-b3-spanid'
export const X_B3_PARENT_SPAN_ID = 'x-b3-parentspanid'
export const X_B3_SAMPLED = 'x-b3-sampled'
export const X_B3_FLAGS = 'x-b3-flags'

/**
 * Debug (`d`, `X-B3-Flags: 1`) implies sampled and is passed on downstream. The value is the
 * trace-id it was received with (or `true` for a sampling-only header), so a debug flag can never
 * leak onto another trace that won extraction.
 */
export const B3_DEBUG_KEY = createContextKey('fastify-otel-kit B3 debug')
/**
 * The caller sent ids without a sampling decision ("defer"): the local sampler decides instead
 * of treating the parent as unsampled, as OpenTelemetry JS's B3 propagator does.
 */
export const B3_DEFERRED_KEY = createContextKey('fastify-otel-kit B3 deferred sampling')
/** `b3: 0`, `b3: 1` or `b3: d` alone: a decision with no ids. Value: 'deny' | 'accept'. */
export const B3_SAMPLING_ONLY_KEY = createContextKey('fastify-otel-kit B3 sampling-only')

const DASH = 0x2d
/** 64-bit trace ids are left-padded to 128 bits, as B3 and W3C interoperation expects. */
const PADDING = '0000000000000000'

type Sampling = 'accept' | 'deny' | 'debug' | 'defer'

export interface B3Options {
  /** `single` writes one `b3` header, `multi` the X-B3-* headers. */
  inject: 'single' | 'multi'
}

/**
 * B3 propagation (openzipkin/b3-propagation). Extraction reads the single header first and falls
 * back to the multi headers; injection writes the configured format.
 */
export class B3Propagator implements TextMapPropagator {
  /** Extracts a span context (and its sampling marks): a composite may skip it once another one won. */
  readonly extractsSpanContextOnly = true
  private readonly injectFormat: 'single' | 'multi'

  constructor (options: B3Options) {
    this.injectFormat = options.inject
  }

  inject (context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context)
    if (!isValidSpanContext(spanContext) || isTracingSuppressed(context)) return
    const debugMark = context.getValue(B3_DEBUG_KEY)
    const debug = debugMark === true || debugMark === spanContext.traceId
    const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
    if (this.injectFormat === 'single') {
      setter.set(
        carrier,
        B3_SINGLE,
        `${spanContext.traceId}-${spanContext.spanId}-${debug ? 'd' : sampled ? '1' : '0'}`
      )
      return
    }
    setter.set(carrier, X_B3_TRACE_ID, spanContext.traceId)
    setter.set(carrier, X_B3_SPAN_ID, spanContext.spanId)
    // Debug implies sampled; the specification says not to send both.
    if (debug) setter.set(carrier, X_B3_FLAGS, '1')
    else setter.set(carrier, X_B3_SAMPLED, sampled ? '1' : '0')
  }

  extract (context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const single = first(getter.get(carrier, B3_SINGLE))
    if (single !== undefined) {
      const extracted = extractSingle(context, single)
      if (extracted !== undefined) return extracted
    }
    return extractMulti(context, carrier, getter) ?? context
  }

  fields (): string[] {
    return this.injectFormat === 'single'
      ? [B3_SINGLE]
      : [X_B3_TRACE_ID, X_B3_SPAN_ID, X_B3_SAMPLED, X_B3_FLAGS, X_B3_PARENT_SPAN_ID]
  }
}

/**
 * `{trace id}-{span id}[-{sampling}[-{parent span id}]]` or a bare sampling state, read by
 * position (a trace id is 16 or 32 hex digits, the others fixed). Upper case is accepted and
 * lower-cased, as many B3 writers send it.
 */
function extractSingle (context: Context, header: string): Context | undefined {
  if (header.length > 128) return undefined
  const value = header.trim().toLowerCase()
  const length = value.length
  if (length === 1) {
    const sampling = parseSampling(value.charCodeAt(0))
    if (sampling === undefined) return undefined
    const decided = context.setValue(B3_SAMPLING_ONLY_KEY, sampling === 'deny' ? 'deny' : 'accept')
    return sampling === 'debug' ? decided.setValue(B3_DEBUG_KEY, true) : decided
  }
  const traceLength = value.charCodeAt(16) === DASH ? 16 : 32
  const spanEnd = traceLength + 17
  if (length < spanEnd || value.charCodeAt(traceLength) !== DASH) return undefined
  let sampling: Sampling = 'defer'
  if (length > spanEnd) {
    // `-` and one sampling character, then nothing or `-` and the parent span id.
    if (value.charCodeAt(spanEnd) !== DASH || (length !== spanEnd + 2 && length !== spanEnd + 19)) return undefined
    const decided = parseSampling(value.charCodeAt(spanEnd + 1))
    if (decided === undefined) return undefined
    const parentAt = spanEnd + 3
    if (length > spanEnd + 2 && (value.charCodeAt(spanEnd + 2) !== DASH || !isHex(value, parentAt, 16))) {
      return undefined
    }
    sampling = decided
  }
  if (!isHexId(value, 0, traceLength) || !isHexId(value, traceLength + 1, 16)) return undefined
  return withRemoteSpan(context, value.slice(0, traceLength), value.slice(traceLength + 1, spanEnd), sampling)
}

function extractMulti (context: Context, carrier: unknown, getter: TextMapGetter): Context | undefined {
  const traceId = first(getter.get(carrier, X_B3_TRACE_ID))?.trim().toLowerCase()
  const spanId = first(getter.get(carrier, X_B3_SPAN_ID))?.trim().toLowerCase()
  if (traceId === undefined || spanId === undefined) return undefined
  if ((traceId.length !== 16 && traceId.length !== 32) || spanId.length !== 16) return undefined
  if (!isHexId(traceId, 0, traceId.length) || !isHexId(spanId, 0, 16)) return undefined
  const flags = first(getter.get(carrier, X_B3_FLAGS))?.trim()
  const sampledHeader = first(getter.get(carrier, X_B3_SAMPLED))?.trim().toLowerCase()
  let sampling: Sampling
  if (flags === '1') sampling = 'debug'
  else if (sampledHeader === undefined) sampling = 'defer'
  // "true"/"false" are what some old Zipkin clients send.
  else if (sampledHeader === '1' || sampledHeader === 'true') sampling = 'accept'
  else if (sampledHeader === '0' || sampledHeader === 'false') sampling = 'deny'
  else return undefined
  return withRemoteSpan(context, traceId, spanId, sampling)
}

/** `rawTraceId` and `spanId` are valid ids already (lower-case hex, not all zeros). */
function withRemoteSpan (context: Context, rawTraceId: string, spanId: string, sampling: Sampling): Context {
  const traceId = rawTraceId.length === 16 ? PADDING + rawTraceId : rawTraceId
  const sampled = sampling === 'accept' || sampling === 'debug'
  const withSpan = trace.setSpanContext(context, {
    traceId,
    spanId,
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true
  })
  if (sampling === 'debug') return withSpan.setValue(B3_DEBUG_KEY, traceId)
  if (sampling === 'defer') return withSpan.setValue(B3_DEFERRED_KEY, traceId)
  return withSpan
}

function parseSampling (code: number): Exclude<Sampling, 'defer'> | undefined {
  if (code === 0x31) return 'accept' // 1
  if (code === 0x30) return 'deny' // 0
  if (code === 0x64) return 'debug' // d
  return undefined
}

function first (value: string | string[] | undefined): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}
