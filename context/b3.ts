import {
  type Context, createContextKey, isSpanContextValid, type TextMapGetter, type TextMapPropagator,
  type TextMapSetter, TraceFlags
} from '@opentelemetry/api'
import { trace } from './otel-api.js'
import { isTracingSuppressed } from '@opentelemetry/core'

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

const TRACE_ID = /^([0-9a-f]{16}|[0-9a-f]{32})$/
const SPAN_ID = /^[0-9a-f]{16}$/
const ZERO = /^0+$/

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
    if (spanContext === undefined || !isSpanContextValid(spanContext) || isTracingSuppressed(context)) return
    const debugMark = context.getValue(B3_DEBUG_KEY)
    const debug = debugMark === true || debugMark === spanContext.traceId
    const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
    if (this.injectFormat === 'single') {
      setter.set(carrier, B3_SINGLE, `${spanContext.traceId}-${spanContext.spanId}-${debug ? 'd' : sampled ? '1' : '0'}`)
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

function extractSingle (context: Context, header: string): Context | undefined {
  if (header.length > 128) return undefined
  const parts = header.trim().toLowerCase().split('-')
  if (parts.length === 1) {
    const sampling = parseSingleSampling(parts[0]!)
    if (sampling === undefined || sampling === 'defer') return undefined
    const decided = context.setValue(B3_SAMPLING_ONLY_KEY, sampling === 'deny' ? 'deny' : 'accept')
    return sampling === 'debug' ? decided.setValue(B3_DEBUG_KEY, true) : decided
  }
  if (parts.length > 4) return undefined
  const [traceId, spanId, samplingPart, parentSpanId] = parts as [string, string, string | undefined, string | undefined]
  if (parentSpanId !== undefined && !SPAN_ID.test(parentSpanId)) return undefined
  const sampling = samplingPart === undefined ? 'defer' : parseSingleSampling(samplingPart)
  if (sampling === undefined) return undefined
  return withRemoteSpan(context, traceId, spanId, sampling)
}

function extractMulti (context: Context, carrier: unknown, getter: TextMapGetter): Context | undefined {
  const traceId = first(getter.get(carrier, X_B3_TRACE_ID))?.trim().toLowerCase()
  const spanId = first(getter.get(carrier, X_B3_SPAN_ID))?.trim().toLowerCase()
  if (traceId === undefined || spanId === undefined) return undefined
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

function withRemoteSpan (context: Context, rawTraceId: string, spanId: string, sampling: Sampling): Context | undefined {
  if (!TRACE_ID.test(rawTraceId) || !SPAN_ID.test(spanId) || ZERO.test(rawTraceId) || ZERO.test(spanId)) return undefined
  // 64-bit trace ids are left-padded to 128 bits, as B3 and W3C interoperation expects.
  const traceId = rawTraceId.padStart(32, '0')
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

function parseSingleSampling (value: string): Sampling | undefined {
  if (value === '1') return 'accept'
  if (value === '0') return 'deny'
  if (value === 'd') return 'debug'
  return undefined
}

function first (value: string | string[] | undefined): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}
