import {
  type Attributes,
  type Context,
  type Link,
  SamplingDecision,
  type SpanKind,
  TraceFlags
} from '@opentelemetry/api'
import type { ReadableSpan, SamplingResult, Span, SpanProcessor } from '@opentelemetry/sdk-trace'
import { trace } from '../../context/otel-api.js'
import type { PreviewingSampler } from './sampler.js'

/**
 * The counts behind otel.sdk.span.started and otel.sdk.span.live, kept as plain numbers: a span
 * pays one increment, never a metric instrument's attribute hashing (SDK 3's Tracer records both
 * through synchronous instruments, about 1 us a span). The metrics read them when collected.
 */
export class SpanCounts {
  /** Started spans by parent origin (none, local, remote) x decision (DROP, RECORD_ONLY, RECORD_AND_SAMPLE). */
  readonly started = new Float64Array(9)
  /** Recording spans that started and ended, sampled or not. */
  startedSampled = 0
  endedSampled = 0
  startedRecordOnly = 0
  endedRecordOnly = 0
}

export const PARENT_ORIGINS = ['none', 'local', 'remote'] as const
export const SAMPLING_RESULTS = ['DROP', 'RECORD_ONLY', 'RECORD_AND_SAMPLE'] as const

/**
 * Counts every sampling decision, with the parent's origin, for the pipeline's sampler: both the
 * package's own spans and the SDK Tracer's ask it once per span (a span whose context suppresses
 * tracing is not started, and not counted, as in the SDK).
 */
export function countingSampler (sampler: PreviewingSampler, counts: SpanCounts): PreviewingSampler {
  return {
    shouldSample (
      context: Context,
      traceId: string,
      name: string,
      kind: SpanKind,
      attributes: Attributes,
      links: Link[]
    ): SamplingResult {
      const result = sampler.shouldSample(context, traceId, name, kind, attributes, links)
      const parent = trace.getSpanContext(context)
      const origin = parent === undefined ? 0 : parent.isRemote === true ? 2 : 1
      counts.started[origin * 3 + decisionIndex(result.decision)]!++
      return result
    },
    preview: (parent) => sampler.preview(parent),
    toString: () => sampler.toString()
  }
}

function decisionIndex (decision: SamplingDecision): number {
  if (decision === SamplingDecision.RECORD_AND_SAMPLED) return 2
  return decision === SamplingDecision.RECORD ? 1 : 0
}

/** The first processor of the chain: counts recording spans as they start and end. */
export class LiveSpanCounter implements SpanProcessor {
  constructor (private readonly counts: SpanCounts) {}

  onStart (span: Span): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) this.counts.startedSampled++
    else this.counts.startedRecordOnly++
  }

  onEnd (span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) this.counts.endedSampled++
    else this.counts.endedRecordOnly++
  }

  async forceFlush (): Promise<void> {}
  async shutdown (): Promise<void> {}
}
