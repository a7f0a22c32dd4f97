import type { HrTime } from '@opentelemetry/api'
import { performance } from 'node:perf_hooks'

/**
 * Milliseconds since the epoch with sub-millisecond precision, on a clock every thread of the
 * process shares (each thread's timeOrigin plus its monotonic now). The SDK stamps span starts
 * with Date.now(), whole milliseconds, which is why spans crossing threads are re-based on this.
 */
export function preciseNow (): number {
  return performance.timeOrigin + performance.now()
}

export function hrToMillis (time: HrTime): number {
  return time[0] * 1e3 + time[1] / 1e6
}

/** `time` moved by `millis` (positive or negative), with the nanoseconds carried. */
export function shiftHr (time: HrTime, millis: number): HrTime {
  if (millis === 0) return time
  const total = time[1] + Math.round(millis * 1e6)
  const carry = Math.floor(total / 1e9)
  return [time[0] + carry, total - carry * 1e9]
}

export function hrBefore (a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])
}
