import type { HrTime } from '@opentelemetry/api'

/** A child's interval as the coverage needs it: its start, and its end once it has ended. */
export interface ChildInterval {
  readonly startTime: HrTime
  readonly endTime: HrTime
  readonly ended: boolean
}

/** What a request's children explain of its duration. */
export interface Coverage {
  /** Milliseconds of the parent's duration inside no child's interval. */
  uncoveredMillis: number
  /** The same as a share of the duration, 0 to 1 (0 for a parent of zero duration). */
  uncoveredShare: number
}

const millisBetween = (from: HrTime, to: HrTime): number => (to[0] - from[0]) * 1e3 + (to[1] - from[1]) / 1e6

/**
 * The part of [start, end] that none of `children` covers. Children may overlap, start before the
 * parent or outlive it: each is clipped to the parent, and one still running when the parent ends
 * covers until that end. The one place this figure is computed: the span attributes, the route
 * summary and (later) the per-route metrics all take it from here.
 */
export function coverageOf (start: HrTime, end: HrTime, children: readonly ChildInterval[] | undefined): Coverage {
  const duration = Math.max(0, millisBetween(start, end))
  if (children === undefined || children.length === 0 || duration === 0) {
    return { uncoveredMillis: duration, uncoveredShare: duration === 0 ? 0 : 1 }
  }
  // Offsets from the parent's start, clipped to [0, duration]; then a sweep over the sorted starts.
  const intervals: Array<[number, number]> = []
  for (const child of children) {
    const from = Math.max(0, millisBetween(start, child.startTime))
    const to = child.ended ? Math.min(duration, millisBetween(start, child.endTime)) : duration
    if (to > from) intervals.push([from, to])
  }
  intervals.sort((a, b) => a[0] - b[0])
  let covered = 0
  let cursor = 0
  for (const [from, to] of intervals) {
    if (to <= cursor) continue
    covered += to - Math.max(from, cursor)
    cursor = to
  }
  const uncovered = Math.max(0, duration - covered)
  return { uncoveredMillis: uncovered, uncoveredShare: uncovered / duration }
}
