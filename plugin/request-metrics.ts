import type { HrTime } from '@opentelemetry/api'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'
import type { ActiveSeries, RequestMetrics, RouteDurations } from '../sdk/metrics/request-metrics.js'
import { knownMethod, metricScheme, protocolVersion } from './http-attributes.js'
import type { RouteInfo } from './route-info.js'

/**
 * The HTTP server metrics of one request (http.server.request.duration, http.server.active_requests),
 * taken from what the request already measures: the request span's own start and end when it is
 * recorded, or, for a request nobody records (not sampled), the clock read once when it started. A
 * request is counted whatever the sampler decided; ignored routes are not counted.
 */
export class RequestMeasure {
  /** performance.now() at the start, for a request without a recorded span (-1: the span's times). */
  startedAt = -1
  active: ActiveSeries | undefined
  ended = false

  constructor (
    readonly durations: RouteDurations | undefined,
    readonly method: string,
    readonly scheme: string,
    readonly version: string
  ) {}

  /**
   * The seam for the lifecycle timing: the part of this request no span covered, in seconds,
   * recorded per route as fastify.request.uncovered.duration (for requests whose children were
   * recorded: a request nobody records has no coverage to measure).
   */
  uncovered (seconds: number): void {
    this.durations?.recordUncovered(this.method, this.scheme, seconds)
  }
}

/** Opens the request's measure (and counts it as active). Undefined when metrics are off. */
export function startMeasure (
  metrics: RequestMetrics | undefined,
  request: FastifyRequest,
  info: RouteInfo,
  timed: boolean
): RequestMeasure | undefined {
  if (metrics === undefined) return undefined
  let durations: RouteDurations | undefined
  if (metrics.recordDuration) {
    durations = info.durations
    // The route keeps its sets of the table in use (a later SDK has a table of its own).
    if (durations === undefined || durations.table !== metrics) {
      durations = info.durations = metrics.forRoute(info.route)
    }
  }
  const method = knownMethod(request.method)
  const measure = new RequestMeasure(durations, method, metricScheme(request), protocolVersion(request.raw.httpVersion))
  if (timed) measure.startedAt = performance.now()
  if (metrics.recordActive) {
    measure.active = metrics.activeFor(method, measure.scheme)
    measure.active.add(1)
  }
  return measure
}

/**
 * Records the request's end: `duration` is the recorded span's (undefined for the clock read at
 * the start). The status and error type follow the span's rules: `error.type` for a 5xx (the
 * thrown error's type, else the status) and for a request the client aborted.
 */
export function endMeasure (
  measure: RequestMeasure,
  status: number | undefined,
  errorType: string | undefined,
  duration: HrTime | undefined
): void {
  if (measure.ended) return
  measure.ended = true
  measure.active?.add(-1)
  const durations = measure.durations
  if (durations === undefined) return
  let seconds: number
  if (duration !== undefined && duration[0] >= 0) seconds = duration[0] + duration[1] / 1e9
  else if (measure.startedAt >= 0) seconds = (performance.now() - measure.startedAt) / 1000
  else return
  durations.record(measure.method, measure.scheme, status, errorType, measure.version, seconds)
}

/** The end of a response as the metrics see it: its status, and the span's error type rule. */
export function endOfResponse (
  measure: RequestMeasure,
  response: ServerResponse,
  reply: FastifyReply | undefined,
  errorType: string | undefined,
  duration: HrTime | undefined
): void {
  if (response.writableEnded) {
    const status = reply?.statusCode ?? response.statusCode
    endMeasure(measure, status, status >= 500 ? (errorType ?? String(status)) : undefined, duration)
  } else {
    endMeasure(measure, response.headersSent ? response.statusCode : undefined, errorType ?? 'aborted', duration)
  }
}
