import { DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT, DEFAULT_SPAN_COUNT_LIMIT } from './defaults.js'
import { parseNonNegativeInteger, parsePositiveInteger } from './env-values.js'
import type { ResolvedSpanCountLimits, SdkOptions, Setting } from './options.js'
import type { Resolver } from './resolver.js'
import { optionalPositiveInteger } from './validate.js'

/**
 * The longest attribute value a span keeps (longer strings are truncated). On by default: without
 * a limit one request can store a whole header on its span (up to Node's 16 KiB header limit), a
 * batch of such spans outgrows the collector's message limit, and a full queue holds tens of MB.
 * The span-specific variable wins over the general one, as in the specification.
 */
export function resolveAttributeValueLengthLimit (r: Resolver, options: SdkOptions): Setting<number> {
  return r.setting(
    'attributeValueLengthLimit',
    optionalPositiveInteger('attributeValueLengthLimit', options.attributeValueLengthLimit),
    ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
    parsePositiveInteger,
    DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT,
    String
  )
}

/**
 * The span count limits, from the environment (the specification's variables, as NodeSDK reads
 * them: the span-specific name first) or the specification's default of 128. SDK 3's
 * TracerProvider reads no environment itself, so the same values go to it and to the package's
 * own spans.
 */
export function resolveSpanCountLimits (r: Resolver): ResolvedSpanCountLimits {
  const limit = (key: string, envNames: string[]): Setting<number> =>
    r.setting(key, undefined, envNames, parseNonNegativeInteger, DEFAULT_SPAN_COUNT_LIMIT, String)
  return {
    attributeCountLimit: limit('spanLimits.attributeCountLimit', [
      'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_ATTRIBUTE_COUNT_LIMIT'
    ]),
    eventCountLimit: limit('spanLimits.eventCountLimit', ['OTEL_SPAN_EVENT_COUNT_LIMIT']),
    linkCountLimit: limit('spanLimits.linkCountLimit', ['OTEL_SPAN_LINK_COUNT_LIMIT']),
    attributePerEventCountLimit: limit('spanLimits.attributePerEventCountLimit', [
      'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'
    ]),
    attributePerLinkCountLimit: limit('spanLimits.attributePerLinkCountLimit', [
      'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'
    ])
  }
}
