import { type Context, INVALID_SPANID, INVALID_TRACEID, TraceFlags } from '@opentelemetry/api'
import { type Sampler, SamplingDecision, type SamplingResult } from '@opentelemetry/sdk-trace'
import { trace } from '../../context/otel-api.js'

const RECORD: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED })
const DROP: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD })

/**
 * The worker's sampler: ParentBased(AlwaysOff) with its default delegates, decided in one step.
 * Every sampling decision is the main thread's; a worker span follows its parent's sampled flag
 * and a root is never recorded. (The SDK's ParentBasedSampler validates the parent's ids with
 * regular expressions on every span; the ids here come from spans of this process.)
 */
export class FollowParentSampler implements Sampler {
  shouldSample (context: Context): SamplingResult {
    const parent = trace.getSpanContext(context)
    if (parent === undefined || parent.traceId === INVALID_TRACEID || parent.spanId === INVALID_SPANID) return DROP
    return (parent.traceFlags & TraceFlags.SAMPLED) !== 0 ? RECORD : DROP
  }

  toString (): string {
    return 'FollowParentSampler'
  }
}
