import type { AnyValue, Attributes } from '@opentelemetry/api'
import { truncatedCopy } from '../common/attribute-limits.js'
import type { LogRecordLimits } from './log-record-sink.js'

/**
 * The record limits the SDK's Logger applies, for records built without it: at most
 * `attributeCountLimit` attributes (later ones dropped and counted), strings cut at
 * `attributeValueLengthLimit` characters, inside maps and lists too. Returns the attributes to
 * keep (the same object when nothing exceeds a limit) and how many were dropped.
 * `longestString`, when the caller knows it (a parsed line's length bounds every string in it),
 * spares the walk through the values when nothing can be too long.
 */
export function limitAttributes (
  attributes: Attributes,
  limits: LogRecordLimits,
  longestString = Infinity
): { attributes: Attributes; dropped: number } {
  const length = longestString <= limits.attributeValueLengthLimit ? Infinity : limits.attributeValueLengthLimit
  let count = 0
  let changed = false
  for (const key in attributes) {
    count++
    if (count > limits.attributeCountLimit) break
    if (length !== Infinity && truncate(attributes[key], length) !== attributes[key]) changed = true
  }
  if (count <= limits.attributeCountLimit && !changed) return { attributes, dropped: 0 }
  let kept = 0
  let dropped = 0
  const out: Attributes = {}
  for (const key in attributes) {
    if (kept >= limits.attributeCountLimit) {
      dropped++
      continue
    }
    out[key] = length === Infinity ? attributes[key] : truncate(attributes[key], length)
    kept++
  }
  return { attributes: out, dropped }
}

/**
 * A body with its strings cut at `limit` characters (inside maps and lists too); the same value
 * when nothing is too long. The data model puts no limit on bodies; a queue of lines with 60 KB
 * messages held 115 MB during an outage without one.
 */
export function limitBody (body: AnyValue | undefined, limit: number): AnyValue | undefined {
  if (body === undefined || limit === Infinity) return body
  return truncate(body, limit)
}

/** `value` with its strings cut at `length`; the same object when nothing is too long. */
function truncate (value: AnyValue, length: number): AnyValue {
  if (typeof value === 'string') return value.length > length ? truncatedCopy(value, length) : value
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value
  if (Array.isArray(value)) {
    let copy: AnyValue[] | undefined
    for (let i = 0; i < value.length; i++) {
      const cut = truncate(value[i], length)
      if (cut !== value[i]) (copy ??= [...value])[i] = cut
    }
    return copy ?? value
  }
  let copy: Attributes | undefined
  for (const key in value) {
    const item = (value as Attributes)[key]
    const cut = truncate(item, length)
    if (cut !== item) (copy ??= { ...value })[key] = cut
  }
  return copy ?? value
}
