import {
  type Attributes, type Context, type HrTime, INVALID_SPAN_CONTEXT, SamplingDecision, type Span, type SpanContext,
  type SpanKind, TraceFlags
} from '@opentelemetry/api'
import { isTracingSuppressed } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import {
  type IdGenerator, RandomIdGenerator, type Sampler, type SpanLimits, type SpanProcessor
} from '@opentelemetry/sdk-trace'
import { trace } from '../../context/otel-api.js'
import { isValidSpanContext } from '../../context/w3c-trace-context.js'
import { FastSpan } from './fast-span.js'

/**
 * Spans built without the SDK's Tracer, when this package owns the pipeline: the request span
 * (plugin/), the dispatch span (workers/main) and the task span (workers/worker). Their initial
 * attributes are known to be valid, so they are taken in one step (the SDK's Tracer and Span
 * validate each of them twice); everything else behaves as the SDK's Tracer does.
 *
 * Measured by bench/: the SDK span costs about 2.4 us per request on the benchmark machine; this
 * removes most of that.
 */
export interface SpanFactory extends SpanTarget {
  sampler: Sampler
  ids: IdGenerator
}

/** Where a fast span reports and what it obeys: the processors, the resource, the limits, its scope. */
export interface SpanTarget {
  processor: SpanProcessor
  resource: Resource
  limits: Required<Pick<SpanLimits, 'attributeCountLimit' | 'eventCountLimit' | 'linkCountLimit' | 'attributePerEventCountLimit' | 'attributePerLinkCountLimit'>> & { attributeValueLengthLimit: number }
  scope: { name: string, version?: string, schemaUrl?: string }
}

/** The SDK's span limits with every value present, as the TracerProvider fills them in. */
export type ResolvedSpanLimits = SpanTarget['limits']

/** The TracerProvider's defaults (128 for every count, no length limit). */
export const SDK_DEFAULT_SPAN_LIMITS: Readonly<ResolvedSpanLimits> = Object.freeze({
  attributeCountLimit: 128,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
  attributeValueLengthLimit: Infinity
})

/**
 * A factory equivalent to a tracer of a TracerProvider built with the same sampler, processor,
 * resource and `limits` (the caller passes the provider the same limits).
 */
export function spanFactory (limits: ResolvedSpanLimits, sampler: Sampler, processor: SpanProcessor, resource: Resource, scope: SpanFactory['scope']): SpanFactory {
  return { sampler, processor, resource, ids: new RandomIdGenerator(), scope, limits: { ...limits } }
}

/**
 * Starts a span whose initial `attributes` the caller guarantees valid. Mirrors the SDK Tracer's
 * startSpan. `startTime` replaces the SDK's Date.now() start (the workers pass the precise clock).
 */
export function startFastSpan (factory: SpanFactory, name: string, kind: SpanKind, attributes: Attributes, parent: Context, startTime?: HrTime): Span {
  if (isTracingSuppressed(parent)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
  const parentSpanContext = trace.getSpanContext(parent)
  const spanId = factory.ids.generateSpanId()
  const parentValid = isValidSpanContext(parentSpanContext)
  const traceId = parentValid ? parentSpanContext.traceId : factory.ids.generateTraceId()
  const result = factory.sampler.shouldSample(parent, traceId, name, kind, attributes, [])
  const traceState = result.traceState ?? (parentValid ? parentSpanContext.traceState : undefined)
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE
  }
  if (traceState !== undefined) spanContext.traceState = traceState
  if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext)
  const span = new FastSpan(factory, spanContext, name, kind, parentValid ? parentSpanContext : undefined, attributes, result.attributes, startTime)
  factory.processor.onStart(span as never, parent)
  return span
}
