import type { SpanContext } from '@opentelemetry/api'

/**
 * Lower-case hex ids, checked without regular expressions: the propagators run these for every
 * inbound and outbound request. W3C allows lower case only; B3 readers lower-case first.
 */

/** Literals, not '0'.repeat(): V8 compares against an internalized string measurably faster. */
export const INVALID_TRACE_ID = '00000000000000000000000000000000'
export const INVALID_SPAN_ID = '0000000000000000'

/** Each lower-case hex digit's value plus one, by char code; zero for anything else. */
const HEX_DIGIT = new Uint8Array(128)
/** 1 for a lower-case hex digit, by char code. */
const IS_HEX = new Uint8Array(128)
for (let i = 0; i < 16; i++) {
  HEX_DIGIT['0123456789abcdef'.charCodeAt(i)] = i + 1
  IS_HEX['0123456789abcdef'.charCodeAt(i)] = 1
}

/** Two lower-case hex digits at `at` as a number, or -1. */
export function hexByte (value: string, at: number): number {
  // Out of the table (past 127, or past the end: NaN) reads as undefined, and `| 0` makes it 0.
  const high = (HEX_DIGIT[value.charCodeAt(at)]! | 0) - 1
  const low = (HEX_DIGIT[value.charCodeAt(at + 1)]! | 0) - 1
  return high < 0 || low < 0 ? -1 : high * 16 + low
}

/**
 * `count` lower-case hex digits from `from` (`count` a multiple of 4): counts the digits four at a
 * time with no branch per character, the cheapest form V8 compiles this to.
 */
export function isHex (value: string, from: number, count: number): boolean {
  let digits = 0
  for (let i = from, end = from + count; i < end; i += 4) {
    // Past 127 (or past the end) the table reads undefined, which `| 0` counts as no digit.
    digits += (IS_HEX[value.charCodeAt(i)]! | 0) + (IS_HEX[value.charCodeAt(i + 1)]! | 0) +
      (IS_HEX[value.charCodeAt(i + 2)]! | 0) + (IS_HEX[value.charCodeAt(i + 3)]! | 0)
  }
  return digits === count
}

/** A string of exactly `length` lower-case hex digits (a multiple of 4). */
function isHexId (id: unknown, length: number): boolean {
  return typeof id === 'string' && id.length === length && isHex(id, 0, length)
}

/**
 * A span context with a well-formed, non-zero trace id and span id, in lower-case hex only as W3C
 * and B3 write them. The API's own check (1.10: a table, no regular expressions any more) also
 * accepts upper case, which would go out in headers that strict receivers refuse.
 */
export function isValidSpanContext (spanContext: SpanContext | undefined): spanContext is SpanContext {
  return spanContext !== undefined && isHexId(spanContext.traceId, 32) && spanContext.traceId !== INVALID_TRACE_ID &&
    isHexId(spanContext.spanId, 16) && spanContext.spanId !== INVALID_SPAN_ID
}
