import { DurationHistogram, ShareHistogram } from './duration-histogram.js'

/** What a timed part of a request is: a hook, the handler (or an error handler), or one of Fastify's own phases. */
export type StepKind = 'hook' | 'handler' | 'phase'

/** One hook, handler or phase of a route, over the requests where it was slow enough to be a span. */
export interface StepSummary {
  /** As on the span: `preHandler - checkEntitlements`, `handler - getOrder`, `serialization`. */
  name: string
  kind: StepKind
  /** Requests in which it became a span. */
  count: number
  p50Millis: number
  maxMillis: number
  totalMillis: number
  /**
   * How much of its time no other child of the request covered, in all: the part of the requests'
   * uncovered time it explains (equal to totalMillis when coverage is not known).
   */
  uncoveredMillis: number
}

/** One route (method and template), over its sampled requests since the summary began. */
export interface RouteSummaryEntry {
  /** The route's span name: `POST /refunds/:orderId`. */
  route: string
  requests: number
  durationMillis: { p50: number; p95: number; max: number }
  /**
   * How much of each request none of its child spans covered (hook, handler and phase spans are
   * not counted: they say where that time went). Absent when the application's own SDK is in use.
   */
  uncovered?: { medianShare: number }
  /** Synchronous stretches over the blocking threshold inside the route's hooks and handler. */
  blocked: { count: number; maxMillis: number }
  /**
   * The steps that explain the most uncovered time in all (then the longest in all), most first; at
   * most three. A slow handler whose time your own spans cover ranks after a hook nothing covers.
   */
  slowest: StepSummary[]
}

/** `app.otel.routeSummary()`. */
export interface RouteSummary {
  /** When the summary began (ISO 8601). */
  since: string
  /** Routes by their share of the summed request time, most first. */
  routes: RouteSummaryEntry[]
  /**
   * The process's event loop over the same period (perf_hooks monitorEventLoopDelay): blocking
   * that no single request can be charged with shows here, not on a route.
   */
  eventLoop?: { delayP99Millis: number; delayMaxMillis: number }
}

/** A route's running figures. One per route and method, found once per route, updated per request. */
export class RouteRecord {
  durations = new DurationHistogram()
  uncoveredShares = new ShareHistogram()
  readonly steps = new Map<string, { kind: StepKind; durations: DurationHistogram; uncoveredMillis: number }>()
  blockedCount = 0
  blockedMaxMillis = 0

  constructor (readonly route: string) {}

  /** Empties the record in place: requests in flight keep a reference to it. */
  clear (): void {
    this.durations = new DurationHistogram()
    this.uncoveredShares = new ShareHistogram()
    this.steps.clear()
    this.blockedCount = 0
    this.blockedMaxMillis = 0
  }

  /** `uncoveredShare` is undefined when the coverage is not known (an SDK of the application's). */
  recordRequest (durationMillis: number, uncoveredShare: number | undefined): void {
    this.durations.record(durationMillis)
    if (uncoveredShare !== undefined) this.uncoveredShares.record(uncoveredShare)
  }

  /** `uncoveredMillis`: the part of `millis` no other child covered; undefined when coverage is not known. */
  recordStep (name: string, kind: StepKind, millis: number, uncoveredMillis?: number): void {
    let step = this.steps.get(name)
    if (step === undefined) {
      if (this.steps.size >= MAX_STEPS_PER_ROUTE) return
      step = { kind, durations: new DurationHistogram(), uncoveredMillis: 0 }
      this.steps.set(name, step)
    }
    step.durations.record(millis)
    step.uncoveredMillis += uncoveredMillis ?? millis
  }

  recordBlocked (millis: number): void {
    this.blockedCount++
    if (millis > this.blockedMaxMillis) this.blockedMaxMillis = millis
  }

  summary (): RouteSummaryEntry {
    const d = this.durations
    const entry: RouteSummaryEntry = {
      route: this.route,
      requests: d.count,
      durationMillis: { p50: d.quantile(0.5), p95: d.quantile(0.95), max: d.maxMillis },
      blocked: { count: this.blockedCount, maxMillis: this.blockedMaxMillis },
      slowest: [...this.steps]
        .map(([name, { kind, durations, uncoveredMillis }]) => ({
          name,
          kind,
          count: durations.count,
          p50Millis: durations.quantile(0.5),
          maxMillis: durations.maxMillis,
          totalMillis: durations.totalMillis,
          uncoveredMillis
        }))
        .sort((a, b) => b.uncoveredMillis - a.uncoveredMillis || b.totalMillis - a.totalMillis)
        .slice(0, 3)
    }
    if (this.uncoveredShares.count > 0) {
      entry.uncovered = { medianShare: this.uncoveredShares.quantile(0.5) }
    }
    return entry
  }
}

/** Routes are templates, so their number is bounded by the application; these bounds are a backstop. */
const MAX_ROUTES = 1000
const MAX_STEPS_PER_ROUTE = 64
const OTHER_ROUTES = '(other routes)'

/** Every route's record for one plugin instance. */
export class RouteSummaries {
  private readonly records = new Map<string, RouteRecord>()
  private since = new Date()

  /** The record of `route` (a span name), made on first use. */
  recordFor (route: string): RouteRecord {
    let record = this.records.get(route)
    if (record === undefined) {
      if (this.records.size >= MAX_ROUTES) return this.recordFor(OTHER_ROUTES)
      record = new RouteRecord(route)
      this.records.set(route, record)
    }
    return record
  }

  summary (eventLoop?: RouteSummary['eventLoop']): RouteSummary {
    const routes = [...this.records.values()]
      .filter((record) => record.durations.count > 0)
      .sort((a, b) => b.durations.totalMillis - a.durations.totalMillis)
      .map((record) => record.summary())
    const summary: RouteSummary = { since: this.since.toISOString(), routes }
    if (eventLoop !== undefined) summary.eventLoop = eventLoop
    return summary
  }

  /** Starts over. */
  reset (): void {
    for (const record of this.records.values()) record.clear()
    this.since = new Date()
  }
}
