import type { HrTime } from '@opentelemetry/api'

/** A child's interval as the coverage needs it: its start, and its end once it has ended. */
export interface ChildInterval {
  readonly startTime: HrTime
  readonly endTime: HrTime
  readonly ended: boolean
}

const millisBetween = (from: HrTime, to: HrTime): number => (to[0] - from[0]) * 1e3 + (to[1] - from[1]) / 1e6

/**
 * What a parent's children cover, as offsets in milliseconds from the parent's start: the union of
 * their intervals, merged, sorted, clipped to [0, duration]. Children may overlap, start before the
 * parent or outlive it; one still running when the parent ends covers until that end.
 */
export interface Covered {
  readonly duration: number
  /** Disjoint [from, to] intervals in order; empty when nothing covers the parent. */
  readonly intervals: ReadonlyArray<readonly [number, number]>
  readonly coveredMillis: number
}

const NOTHING: ReadonlyArray<readonly [number, number]> = Object.freeze([])

/**
 * The one place this figure is computed: the request span's coverage attributes, the route
 * summary and (later) the per-route metrics all take it from here.
 */
export function coveredBy (start: HrTime, end: HrTime, children: readonly ChildInterval[] | undefined): Covered {
  const duration = Math.max(0, millisBetween(start, end))
  if (children === undefined || children.length === 0 || duration === 0) {
    return { duration, intervals: NOTHING, coveredMillis: 0 }
  }
  const clipped: Array<[number, number]> = []
  for (const child of children) {
    const from = Math.max(0, millisBetween(start, child.startTime))
    const to = child.ended ? Math.min(duration, millisBetween(start, child.endTime)) : duration
    if (to > from) clipped.push([from, to])
  }
  clipped.sort((a, b) => a[0] - b[0])
  const intervals: Array<[number, number]> = []
  let covered = 0
  for (const [from, to] of clipped) {
    const last = intervals.at(-1)
    if (last !== undefined && from <= last[1]) {
      if (to > last[1]) {
        covered += to - last[1]
        last[1] = to
      }
    } else {
      intervals.push([from, to])
      covered += to - from
    }
  }
  return { duration, intervals, coveredMillis: covered }
}

/** The milliseconds of the parent that no child covers. */
export function uncoveredMillis (covered: Covered): number {
  return Math.max(0, covered.duration - covered.coveredMillis)
}

/** The uncovered milliseconds as a share of the duration, 0 to 1 (0 for a parent of zero duration). */
export function uncoveredShare (covered: Covered): number {
  return covered.duration > 0 ? Math.min(1, uncoveredMillis(covered) / covered.duration) : 0
}

/**
 * The milliseconds of [from, to] (offsets from the parent's start) that no child covers: how much
 * of the parent's uncovered time a hook or phase of that extent explains.
 */
export function uncoveredWithin (covered: Covered, from: number, to: number): number {
  let inside = 0
  for (const [a, b] of covered.intervals) {
    if (b <= from) continue
    if (a >= to) break
    inside += Math.min(b, to) - Math.max(a, from)
  }
  return Math.max(0, to - from - inside)
}
