import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api'
import { trace } from '../../context/otel-api.js'
import {
  AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, type Sampler, SamplingDecision, type SamplingResult,
  TraceIdRatioBasedSampler
} from '@opentelemetry/sdk-trace'
import { B3_DEFERRED_KEY, B3_SAMPLING_ONLY_KEY } from '../../context/b3.js'
import type { SamplerName } from '../config/options.js'

/**
 * The sampler the specification names, or the user's own instance. The parent-based samplers also
 * honour B3's two parent states that have no W3C equivalent: a deferred decision (the local root
 * sampler decides) and a bare `b3: 0/1/d` (an upstream decision without ids).
 */
export function buildSampler (name: SamplerName | 'custom', ratio: number, custom: Sampler | undefined): Sampler {
  switch (name) {
    case 'custom': return custom ?? parentBased(new AlwaysOnSampler())
    case 'always_on': return new AlwaysOnSampler()
    case 'always_off': return new AlwaysOffSampler()
    case 'traceidratio': return new TraceIdRatioBasedSampler(ratio)
    case 'parentbased_always_on': return parentBased(new AlwaysOnSampler())
    case 'parentbased_always_off': return parentBased(new AlwaysOffSampler())
    case 'parentbased_traceidratio': return parentBased(new TraceIdRatioBasedSampler(ratio))
  }
}

function parentBased (root: Sampler): Sampler {
  return new ParentBasedSampler({
    root: new UpstreamDecisionSampler(root),
    remoteParentNotSampled: new DeferredDecisionSampler(root)
  })
}

/** Root spans: a bare `b3: 0` / `b3: 1` from upstream decides; otherwise the root sampler. */
class UpstreamDecisionSampler implements Sampler {
  constructor (private readonly root: Sampler) {}

  shouldSample (context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const upstream = context.getValue(B3_SAMPLING_ONLY_KEY)
    if (upstream === 'deny') return { decision: SamplingDecision.NOT_RECORD }
    if (upstream === 'accept') return { decision: SamplingDecision.RECORD_AND_SAMPLED }
    return this.root.shouldSample(context, traceId, name, kind, attributes, links)
  }

  toString (): string {
    return this.root.toString()
  }
}

/** Remote unsampled parents: a B3 parent that deferred its decision gets the root sampler's. */
class DeferredDecisionSampler implements Sampler {
  private readonly off = new AlwaysOffSampler()
  constructor (private readonly root: Sampler) {}

  shouldSample (context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const deferredTraceId = context.getValue(B3_DEFERRED_KEY)
    return deferredTraceId !== undefined && deferredTraceId === trace.getSpanContext(context)?.traceId
      ? this.root.shouldSample(context, traceId, name, kind, attributes, links)
      : this.off.shouldSample()
  }

  toString (): string {
    return `DeferredDecisionSampler{${this.root.toString()}}`
  }
}
