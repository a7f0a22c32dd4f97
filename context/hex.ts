import type { SpanContext } from '@opentelemetry/api'

/**
 * Lower-case hex ids, checked without regular expressions: the propagators run these for every
 * inbound and outbound request. W3C allows lower case only; B3 readers lower-case first.
 */

/** Each lower-case hex digit's value plus one, by char code; zero for anything else. */
const HEX_DIGIT = new Uint8Array(128)
/**
 * By char code: 1 for a lower-case hex digit, plus 0x100 when it is not `0`. Summed over an id
 * (at most 32 characters), the low byte counts the hex digits and the rest the non-zero ones: one
 * table read per character tells both whether the id is hex and whether it is all zeros.
 */
const HEX_WEIGHT = new Uint16Array(128)
for (let i = 0; i < 16; i++) {
  HEX_DIGIT['0123456789abcdef'.charCodeAt(i)] = i + 1
  HEX_WEIGHT['0123456789abcdef'.charCodeAt(i)] = i === 0 ? 1 : 0x101
}

/** Two lower-case hex digits at `at` as a number, or -1. */
export function hexByte (value: string, at: number): number {
  // Out of the table (past 127, or past the end: NaN) reads as undefined, and `| 0` makes it 0.
  const high = (HEX_DIGIT[value.charCodeAt(at)]! | 0) - 1
  const low = (HEX_DIGIT[value.charCodeAt(at + 1)]! | 0) - 1
  return high < 0 || low < 0 ? -1 : high * 16 + low
}

/**
 * Whether `count` characters from `from` (`count` a multiple of 4, at most 32) are lower-case hex
 * with at least one non-zero digit: a valid W3C or B3 id.
 *
 * Zero ids are found by the same pass, not by comparing with a string of zeros: comparing a string
 * just sliced from a header with a string literal made V8 copy it into its string table, and the
 * extra survivors of every request cost five times the garbage collection in the benchmark.
 */
export function isHexId (value: string, from: number, count: number): boolean {
  const weight = weigh(value, from, count)
  return (weight & 0xff) === count && weight > 0xff
}

/** Whether `count` characters from `from` (a multiple of 4, at most 32) are lower-case hex. */
export function isHex (value: string, from: number, count: number): boolean {
  return (weigh(value, from, count) & 0xff) === count
}

/** The HEX_WEIGHT sum: four characters at a time, no branch per character (what V8 compiles best). */
function weigh (value: string, from: number, count: number): number {
  let sum = 0
  for (let i = from, end = from + count; i < end; i += 4) {
    // Past 127 (or past the end: NaN) the table reads undefined, which `| 0` counts as no digit.
    sum +=
      (HEX_WEIGHT[value.charCodeAt(i)]! | 0) +
      (HEX_WEIGHT[value.charCodeAt(i + 1)]! | 0) +
      (HEX_WEIGHT[value.charCodeAt(i + 2)]! | 0) +
      (HEX_WEIGHT[value.charCodeAt(i + 3)]! | 0)
  }
  return sum
}

/**
 * The same check for an id of a span context. The same loop, on purpose not shared: ids are often
 * slices of a header (V8 sliced strings) while headers are flat, and one loop seeing both kinds of
 * string reads every character more slowly for all its callers.
 */
function isSpanContextId (id: unknown, length: number): boolean {
  if (typeof id !== 'string' || id.length !== length) return false
  let sum = 0
  for (let i = 0; i < length; i += 4) {
    sum +=
      (HEX_WEIGHT[id.charCodeAt(i)]! | 0) +
      (HEX_WEIGHT[id.charCodeAt(i + 1)]! | 0) +
      (HEX_WEIGHT[id.charCodeAt(i + 2)]! | 0) +
      (HEX_WEIGHT[id.charCodeAt(i + 3)]! | 0)
  }
  return (sum & 0xff) === length && sum > 0xff
}

/**
 * A span context with a well-formed, non-zero trace id and span id, in lower-case hex only as W3C
 * and B3 write them. The API's own check (1.10: a table, no regular expressions any more) also
 * accepts upper case, which would go out in headers that strict receivers refuse.
 */
export function isValidSpanContext (spanContext: SpanContext | undefined): spanContext is SpanContext {
  return (
    spanContext !== undefined && isSpanContextId(spanContext.traceId, 32) && isSpanContextId(spanContext.spanId, 16)
  )
}
