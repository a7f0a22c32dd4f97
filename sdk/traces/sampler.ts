import {
  type Attributes,
  type Context,
  type Link,
  SamplingDecision,
  type SpanKind,
  TraceFlags
} from '@opentelemetry/api'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  type SamplingResult,
  TraceIdRatioBasedSampler
} from '@opentelemetry/sdk-trace'
import { B3_DEFERRED_KEY, B3_SAMPLING_ONLY_KEY } from '../../context/b3.js'
import { trace } from '../../context/otel-api.js'
import { isValidSpanContext } from '../../context/w3c-trace-context.js'
import type { SamplerName } from '../config/options.js'

/**
 * A sampler that can also say what it decides before a span is built, from the parent alone. The
 * request hooks ask it (not the sampler's name) whether to compute every request attribute, a few,
 * or none: sampling is decided here, once, and asked everywhere else.
 */
export interface PreviewingSampler extends Sampler {
  /**
   * The decision for any span started under `parent`, or undefined when it depends on the span
   * itself (its trace id for a ratio, its attributes for a sampler of the application's).
   */
  preview(parent: Context): SamplingDecision | undefined
}

/**
 * The sampler the specification names, or the application's own instance. The parent-based ones
 * are the SDK's ParentBasedSampler, which also honours B3's two parent states that have no W3C
 * equivalent: a deferred decision (the root sampler decides) and a bare `b3: 0/1/d` (an upstream
 * decision without ids).
 */
export function buildSampler (
  name: SamplerName | 'custom',
  ratio: number,
  custom: Sampler | undefined
): PreviewingSampler {
  switch (name) {
    case 'custom':
      return custom === undefined ? parentBased(new AlwaysOnSampler()) : new Previewing(custom, () => undefined)
    case 'always_on':
      return new Previewing(new AlwaysOnSampler(), () => SamplingDecision.RECORD_AND_SAMPLED)
    case 'always_off':
      return new Previewing(new AlwaysOffSampler(), () => SamplingDecision.NOT_RECORD)
    case 'traceidratio':
      return new Previewing(new TraceIdRatioBasedSampler(ratio), () => undefined)
    case 'parentbased_always_on':
      return parentBased(new AlwaysOnSampler())
    case 'parentbased_always_off':
      return parentBased(new AlwaysOffSampler())
    case 'parentbased_traceidratio':
      return parentBased(new TraceIdRatioBasedSampler(ratio))
  }
}

/** A sampler and its preview, side by side (the preview states what the sampler's composition does). */
class Previewing implements PreviewingSampler {
  constructor (
    private readonly sampler: Sampler,
    readonly preview: (parent: Context) => SamplingDecision | undefined
  ) {}

  shouldSample (
    context: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[]
  ): SamplingResult {
    return this.sampler.shouldSample(context, traceId, name, kind, attributes, links)
  }

  toString (): string {
    return this.sampler.toString()
  }
}

function parentBased (root: Sampler): PreviewingSampler {
  const sampler = new ParentBasedSampler({
    root: new UpstreamDecisionSampler(root),
    remoteParentNotSampled: new DeferredDecisionSampler(root)
  })
  const rootAlone = decisionOf(root)
  // ParentBasedSampler's table: a sampled parent records, an unsampled one does not (a deferred
  // B3 parent and a root go to the root sampler, which decides alone only when it is on or off).
  return new Previewing(sampler, (parent) => {
    const parentSpanContext = trace.getSpanContext(parent)
    if (!isValidSpanContext(parentSpanContext)) {
      const upstream = parent.getValue(B3_SAMPLING_ONLY_KEY)
      if (upstream === 'deny') return SamplingDecision.NOT_RECORD
      if (upstream === 'accept') return SamplingDecision.RECORD_AND_SAMPLED
      return rootAlone
    }
    if ((parentSpanContext.traceFlags & TraceFlags.SAMPLED) !== 0) return SamplingDecision.RECORD_AND_SAMPLED
    if (parentSpanContext.isRemote === true && isDeferred(parent)) return rootAlone
    return SamplingDecision.NOT_RECORD
  })
}

/** What a root sampler decides whatever the span: on, off, or it depends (a ratio, anything else). */
function decisionOf (root: Sampler): SamplingDecision | undefined {
  if (root instanceof AlwaysOnSampler) return SamplingDecision.RECORD_AND_SAMPLED
  if (root instanceof AlwaysOffSampler) return SamplingDecision.NOT_RECORD
  return undefined
}

/** A B3 parent that left the sampling decision to this service. */
function isDeferred (parent: Context): boolean {
  const deferredTraceId = parent.getValue(B3_DEFERRED_KEY)
  return deferredTraceId !== undefined && deferredTraceId === trace.getSpanContext(parent)?.traceId
}

/** Root spans: a bare `b3: 0` / `b3: 1` from upstream decides; otherwise the root sampler. */
class UpstreamDecisionSampler implements Sampler {
  constructor (private readonly root: Sampler) {}

  shouldSample (
    context: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[]
  ): SamplingResult {
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

  shouldSample (
    context: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[]
  ): SamplingResult {
    return isDeferred(context)
      ? this.root.shouldSample(context, traceId, name, kind, attributes, links)
      : this.off.shouldSample()
  }

  toString (): string {
    return `DeferredDecisionSampler{${this.root.toString()}}`
  }
}
