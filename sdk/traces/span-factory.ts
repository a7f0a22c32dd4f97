import {
  type Attributes,
  type Context,
  type HrTime,
  INVALID_SPAN_CONTEXT,
  SamplingDecision,
  type Span,
  type SpanContext,
  type SpanKind,
  TraceFlags
} from '@opentelemetry/api'
import { isTracingSuppressed } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import { type IdGenerator, RandomIdGenerator, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace'
import { trace } from '../../context/otel-api.js'
import { isValidSpanContext } from '../../context/w3c-trace-context.js'
import { FastSpan } from './fast-span.js'
import type { ResolvedSpanLimits, SpanTarget } from './span-target.js'

/**
 * Spans built without the SDK's Tracer, when this package owns the pipeline: the request span
 * (plugin/), the dispatch span (workers/main) and the task span (workers/worker). Their initial
 * attributes are known to be valid, so they are taken in one step (the SDK's Tracer and Span
 * validate each of them twice); everything else behaves as the SDK's Tracer does.
 *
 * Measured against SDK 3's Tracer: 0.8 us per request span against 2.7 us (Node 22, 24).
 */
export interface SpanFactory extends SpanTarget {
  sampler: Sampler
  ids: IdGenerator
}

/**
 * A factory equivalent to a tracer of a TracerProvider built with the same sampler, processor,
 * resource and `limits` (the caller passes the provider the same limits).
 */
export function spanFactory (
  limits: ResolvedSpanLimits,
  sampler: Sampler,
  processor: SpanProcessor,
  resource: Resource,
  scope: SpanFactory['scope']
): SpanFactory {
  return { sampler, processor, resource, ids: new RandomIdGenerator(), scope, limits: { ...limits } }
}

/**
 * Starts a span whose initial `attributes` the caller guarantees valid. Mirrors the SDK Tracer's
 * startSpan. `startTime` replaces the SDK's Date.now() start (the workers pass the precise clock).
 */
export function startFastSpan (
  factory: SpanFactory,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  parent: Context,
  startTime?: HrTime
): Span {
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
  const span = new FastSpan(
    factory,
    spanContext,
    name,
    kind,
    parentValid ? parentSpanContext : undefined,
    attributes,
    result.attributes,
    startTime
  )
  factory.processor.onStart(span as never, parent)
  return span
}
