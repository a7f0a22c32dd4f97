import type { Attributes, AttributeValue } from '@opentelemetry/api'

/** The SDK Span's attribute value limit: strings (also inside arrays) cut at `limit` characters. */
export function truncateValue (value: AttributeValue, limit: number): AttributeValue {
  if (!Number.isFinite(limit) || limit <= 0) return value
  if (typeof value === 'string') return value.length <= limit ? value : truncatedCopy(value, limit)
  if (Array.isArray(value)) {
    return value.map((v) => (typeof v === 'string' && v.length > limit ? truncatedCopy(v, limit) : v)) as AttributeValue
  }
  return value
}

/** The first `countLimit` attributes (the SDK's rule for events and links), values cut as above. */
export function limitAttributes (
  sanitized: Attributes,
  countLimit: number,
  lengthLimit: number
): { attributes: Attributes; dropped: number } {
  const attributes: Attributes = {}
  let count = 0
  let dropped = 0
  for (const key in sanitized) {
    if (!Object.prototype.hasOwnProperty.call(sanitized, key)) continue
    if (count >= countLimit) {
      dropped++
      continue
    }
    attributes[key] = truncateValue(sanitized[key]!, lengthLimit)
    count++
  }
  return { attributes, dropped }
}

/** Whether no string value (or string in an array) is longer than `limit`: nothing to truncate. */
export function withinLength (attributes: Attributes, limit: number): boolean {
  if (!Number.isFinite(limit)) return true
  for (const key in attributes) {
    const value = attributes[key]
    if (typeof value === 'string') {
      if (value.length > limit) return false
    } else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string' && item.length > limit) return false
    }
  }
  return true
}

/**
 * The first `limit` characters as a string of their own. A plain substring of a long string is, in
 * V8, a slice that keeps the whole original alive: a 16 KB header cut to 4096 characters would
 * still hold 16 KB for as long as the span is queued (measured: 15 KB kept per span, 4 KB with the
 * copy). Truncation is rare, so the copy costs nothing that matters.
 */
export function truncatedCopy (value: string, limit: number): string {
  return Buffer.from(value.substring(0, limit), 'utf8').toString('utf8')
}
