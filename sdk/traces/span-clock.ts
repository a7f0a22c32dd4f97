import type { HrTime, Span } from '@opentelemetry/api'
import { addHrTimes, millisToHrTime } from '@opentelemetry/core'
import type { FastSpan } from './fast-span.js'

/**
 * A span's own time line: its start as a wall-clock HrTime and the performance clock's reading at
 * that moment. The SDK's Span and the package's FastSpan both start from Date.now() and measure
 * from there with the performance clock; a time read later with performance.now() is placed on
 * the span's line the same way, so a child made after the fact (a slow hook's span, built once it
 * is known to be slow) sits exactly where it ran inside its parent, and the parent's end computed
 * here is the end the span itself would have taken.
 */
export interface SpanClock {
  readonly startTime: HrTime
  readonly performanceStart: number
}

/**
 * The clock of `span` when its class is known: the package's FastSpan (read by shape, so that a
 * second copy of the package in the process is recognised too) or the SDK's Span, whose private
 * field test/unit/span-clock.test.mjs holds to the installed version; undefined for anything else.
 */
export function spanClockOf (span: Span): SpanClock | undefined {
  const known = span as Partial<{ startTime: HrTime; performanceStart: number; _performanceStartTime: number }>
  if (!Array.isArray(known.startTime)) return undefined
  if (typeof known.performanceStart === 'number') return span as unknown as FastSpan
  if (typeof known._performanceStartTime === 'number') {
    return { startTime: known.startTime, performanceStart: known._performanceStartTime }
  }
  return undefined
}

/** A clock for a span of unknown class: its start taken as now. */
export function clockStartingNow (): SpanClock {
  const performanceStart = performance.now()
  return { startTime: millisToHrTime(performance.timeOrigin + performanceStart), performanceStart }
}

/** `millis` (a performance.now() reading) on `clock`'s time line; readings before its start are its start. */
export function timeOn (clock: SpanClock, millis: number): HrTime {
  const since = millis - clock.performanceStart
  return since <= 0 ? clock.startTime : addHrTimes(clock.startTime, millisToHrTime(since))
}
