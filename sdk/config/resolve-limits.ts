import { DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT } from './defaults.js'
import { parsePositiveInteger } from './env-values.js'
import type { SdkOptions, Setting } from './options.js'
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
