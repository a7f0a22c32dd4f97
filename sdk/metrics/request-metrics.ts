import type { Attributes, Histogram, HrTime, UpDownCounter } from '@opentelemetry/api'
import { hrTime } from '@opentelemetry/core'

/**
 * The HTTP server metrics of the semantic conventions, recorded from what the request already
 * measured (its span's start and end, or the request's own start when nothing is recorded):
 * `http.server.request.duration`, a histogram in seconds, and `http.server.active_requests`.
 *
 * Measured on the request path (Node 24), SDK 3's synchronous instruments cost about 1 us per
 * histogram record and 0.5 us per up-down counter add, most of it hashing the attribute set on
 * every call: 2 us a request, four times the budget (docs/internals/upstream-parts.md). So each
 * route keeps its few attribute sets itself, found by comparing five fields, and the numbers are
 * added up here; readers turn them into the SDK's metric data when they collect (see
 * request-metrics-producer.ts), for either temporality. When the application owns the SDK, the
 * same table records through the Metrics API instead (`RecordThrough`), with each set's
 * attributes built once.
 */

export const HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration'
export const HTTP_SERVER_ACTIVE_REQUESTS = 'http.server.active_requests'
/**
 * The time of a request no span covers (hooks, serialization, waiting: what a trace shows as a gap
 * under the request span), per route: recorded for requests whose children were recorded, by the
 * lifecycle timing (`RequestMeasure.uncovered`).
 */
export const REQUEST_UNCOVERED_DURATION = 'fastify.request.uncovered.duration'

/** The semantic conventions' advised boundaries for http.server.request.duration, in seconds. */
export const DURATION_BOUNDARIES: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10
])

/** The SDK's default cardinality limit: attribute sets beyond it go to one overflow set. */
export const DEFAULT_CARDINALITY_LIMIT = 2000

/**
 * How many attribute sets, as recorded, the table keeps per cardinality limit of its streams. The
 * limits apply when a reader collects, to the sets a view's attribute processors make (as the SDK
 * applies them, after its processors): a view that keeps fewer attributes merges several recorded
 * sets into one, so the table holds more than the limit. This bound only keeps its memory finite
 * (about 0.5 KB a set); past it, new recorded sets go to the overflow set whatever a view would
 * make of them.
 */
export const RECORDED_SETS_PER_LIMIT = 4

/** The table's bound for streams with these limits: RECORDED_SETS_PER_LIMIT times the largest, or the default. */
export function recordedSetBound (limits: ReadonlyArray<number | undefined>): number {
  return RECORDED_SETS_PER_LIMIT * Math.max(DEFAULT_CARDINALITY_LIMIT, ...limits.map((limit) => limit ?? 0))
}

const OVERFLOW: Attributes = Object.freeze({ 'otel.metric.overflow': true })

/** Where measurements go when the application's MeterProvider owns the aggregation. */
export interface RecordThrough {
  duration: Histogram | undefined
  active: UpDownCounter | undefined
}

/** One attribute set of http.server.request.duration, with its histogram. */
export class DurationSeries {
  /** Per bucket: boundaries.length + 1 counts, the last one above every boundary. */
  readonly counts: Float64Array
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity
  /**
   * Per delta reader (its slot): the sum, least and greatest value since that reader last
   * collected (a sum taken as a difference of two totals would differ from the interval's own
   * in the last digits).
   */
  readonly slotSum: Float64Array
  readonly slotMin: Float64Array
  readonly slotMax: Float64Array
  readonly startTime: HrTime = hrTime()

  constructor (
    readonly attributes: Attributes,
    private readonly boundaries: readonly number[],
    slots: number
  ) {
    this.counts = new Float64Array(boundaries.length + 1)
    this.slotSum = new Float64Array(slots)
    this.slotMin = new Float64Array(slots).fill(Infinity)
    this.slotMax = new Float64Array(slots).fill(-Infinity)
  }

  record (seconds: number): void {
    // The SDK's bucket rule: the first boundary not below the value (upper bounds inclusive).
    const boundaries = this.boundaries
    let i = 0
    while (i < boundaries.length && boundaries[i]! < seconds) i++
    this.counts[i]!++
    this.count++
    this.sum += seconds
    if (seconds < this.min) this.min = seconds
    if (seconds > this.max) this.max = seconds
    for (let s = 0; s < this.slotMin.length; s++) {
      this.slotSum[s] += seconds
      if (seconds < this.slotMin[s]!) this.slotMin[s] = seconds
      if (seconds > this.slotMax[s]!) this.slotMax[s] = seconds
    }
  }
}

/** One attribute set of http.server.active_requests. */
export class ActiveSeries {
  value = 0
  /** Every add, for a delta reader: an interval with adds reports, even when they cancel out. */
  adds = 0
  readonly startTime: HrTime = hrTime()

  constructor (
    readonly attributes: Attributes,
    readonly method: string,
    readonly scheme: string,
    private readonly through: UpDownCounter | undefined
  ) {}

  add (n: 1 | -1): void {
    this.value += n
    this.adds++
    this.through?.add(n, this.attributes)
  }
}

/** How a route finds its set: the five fields, and the set (the overflow set past the limit). */
class SeriesKey {
  constructor (
    readonly method: string,
    readonly scheme: string,
    readonly status: number | undefined,
    readonly errorType: string | undefined,
    readonly version: string,
    readonly series: DurationSeries
  ) {}
}

/** A route's attribute sets of http.server.request.duration; the plugin keeps one per route. */
export class RouteDurations {
  private readonly list: SeriesKey[] = []
  /** fastify.request.uncovered.duration of this route, by method. */
  private readonly uncoveredList: SeriesKey[] = []

  constructor (
    readonly table: RequestMetrics,
    readonly route: string | undefined
  ) {}

  record (
    method: string,
    scheme: string,
    status: number | undefined,
    errorType: string | undefined,
    version: string,
    seconds: number
  ): void {
    const list = this.list
    let series: DurationSeries | undefined
    for (let i = 0; i < list.length; i++) {
      const k = list[i]!
      if (
        k.status === status &&
        k.method === method &&
        k.errorType === errorType &&
        k.version === version &&
        k.scheme === scheme
      ) {
        series = k.series
        break
      }
    }
    if (series === undefined) {
      series = this.table.newDurationSeries(this.route, method, scheme, status, errorType, version)
      // A set past the table's bound is not remembered: the list, and its search, stop growing.
      if (!this.table.isOverflow(series)) list.push(new SeriesKey(method, scheme, status, errorType, version, series))
    }
    series.record(seconds)
    this.table.through.duration?.record(seconds, series.attributes)
  }

  /** The time of a request of this route that no span covered (lifecycle timing: the seam for it). */
  recordUncovered (method: string, scheme: string, seconds: number): void {
    let series: DurationSeries | undefined
    for (const k of this.uncoveredList) {
      if (k.method === method && k.scheme === scheme) {
        series = k.series
        break
      }
    }
    if (series === undefined) {
      series = this.table.newUncoveredSeries(this.route, method, scheme)
      this.uncoveredList.push(new SeriesKey(method, scheme, undefined, undefined, '', series))
    }
    series.record(seconds)
  }
}

/** Every attribute set of both instruments, for the readers; the recording side of the plugin. */
export class RequestMetrics {
  private readonly routes = new Map<string | undefined, RouteDurations>()
  /** Every duration set, in the order made (the overflow set included, once made). */
  readonly durations: DurationSeries[] = []
  /** Every set of fastify.request.uncovered.duration (one per route and method). */
  readonly uncovered: DurationSeries[] = []
  readonly active: ActiveSeries[] = []
  private overflow: DurationSeries | undefined
  private slots = 0

  /**
   * `boundaries`: the histogram's (the advised ones, or a view's). `through`: the application's
   * instruments, when its MeterProvider aggregates. `recordedSetBound`: recorded attribute sets of
   * http.server.request.duration kept before the overflow set (RECORDED_SETS_PER_LIMIT times the
   * largest cardinality limit of its streams; the limits themselves apply at collection).
   */
  constructor (
    readonly boundaries: readonly number[] = DURATION_BOUNDARIES,
    readonly recordDuration: boolean = true,
    readonly recordActive: boolean = true,
    readonly through: RecordThrough = { duration: undefined, active: undefined },
    private readonly recordedSetBound: number = RECORDED_SETS_PER_LIMIT * DEFAULT_CARDINALITY_LIMIT
  ) {}

  /**
   * A route's sets; the plugin asks once per route and keeps it. One per route template for the
   * table: two askers for the same route (two not-found handlers, the requests refused while
   * closing) record into the same series, never into two with the same attributes.
   */
  forRoute (route: string | undefined): RouteDurations {
    let durations = this.routes.get(route)
    if (durations === undefined) {
      durations = new RouteDurations(this, route)
      this.routes.set(route, durations)
    }
    return durations
  }

  /** The active-requests set of a method and scheme (found by comparing both: a handful exist). */
  activeFor (method: string, scheme: string): ActiveSeries {
    const list = this.active
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!
      if (s.method === method && s.scheme === scheme) return s
    }
    const attributes = Object.freeze({ 'http.request.method': method, 'url.scheme': scheme })
    const series = new ActiveSeries(attributes, method, scheme, this.through.active)
    list.push(series)
    return series
  }

  /**
   * A slot for a reader that collects deltas: its own least and greatest value per set since it
   * last collected. Asked for before anything is recorded (readers are set up with the SDK).
   */
  addDeltaSlot (): number {
    return this.slots++
  }

  newDurationSeries (
    route: string | undefined,
    method: string,
    scheme: string,
    status: number | undefined,
    errorType: string | undefined,
    version: string
  ): DurationSeries {
    if (this.durations.length >= this.recordedSetBound - 1) {
      this.overflow ??= this.push(OVERFLOW)
      return this.overflow
    }
    const attributes: Attributes = { 'http.request.method': method, 'url.scheme': scheme }
    if (route !== undefined) attributes['http.route'] = route
    if (status !== undefined) attributes['http.response.status_code'] = status
    if (errorType !== undefined) attributes['error.type'] = errorType
    if (version !== '') attributes['network.protocol.version'] = version
    return this.push(Object.freeze(attributes))
  }

  /** Whether `series` is the overflow set (the table's bound reached). */
  isOverflow (series: DurationSeries): boolean {
    return series === this.overflow
  }

  newUncoveredSeries (route: string | undefined, method: string, scheme: string): DurationSeries {
    const attributes: Attributes = { 'http.request.method': method, 'url.scheme': scheme }
    if (route !== undefined) attributes['http.route'] = route
    const series = new DurationSeries(Object.freeze(attributes), this.boundaries, this.slots)
    this.uncovered.push(series)
    return series
  }

  private push (attributes: Attributes): DurationSeries {
    const series = new DurationSeries(attributes, this.boundaries, this.slots)
    this.durations.push(series)
    return series
  }
}
