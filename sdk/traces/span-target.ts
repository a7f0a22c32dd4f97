import type { Resource } from '@opentelemetry/resources'
import type { SpanLimits, SpanProcessor } from '@opentelemetry/sdk-trace'

/** Where a fast span reports and what it obeys: the processors, the resource, the limits, its scope. */
export interface SpanTarget {
  processor: SpanProcessor
  resource: Resource
  limits: Required<
    Pick<
      SpanLimits,
      | 'attributeCountLimit'
      | 'eventCountLimit'
      | 'linkCountLimit'
      | 'attributePerEventCountLimit'
      | 'attributePerLinkCountLimit'
    >
  > & { attributeValueLengthLimit: number }
  scope: { name: string; version?: string; schemaUrl?: string }
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
