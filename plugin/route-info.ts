import type { FastifyRequest } from 'fastify'
import type { RouteRecord, RouteSummaries } from '../sdk/traces/route-summary.js'
import { serverSpanName } from './http-attributes.js'
import { type LifecycleSettings, routeLifecycleSettings } from './lifecycle-options.js'
import type { RouteDurations } from '../sdk/metrics/request-metrics.js'

/** What the request hooks need to know about a route, computed once per route, not per request. */
export interface RouteInfo {
  /** False for `config: { otel: false }` and for routes on the ignore list. */
  traced: boolean
  /** The route template (`/orders/:id`), undefined when no route matched. */
  route: string | undefined
  /** Span names by method (a route may serve several methods). */
  names: Map<string, string>
  /** The route's lifecycle timing: the plugin's settings, or its own `config.otel` ones. */
  timing: LifecycleSettings
  /** The route validates its input (it has a params, body, querystring or headers schema). */
  validates: boolean
  /** The route's summary records, by method. */
  records: Map<string, RouteRecord>
  lastMethod: string | undefined
  lastRecord: RouteRecord | undefined
  /** The route's request-duration sets in the metrics table (plugin/request-metrics.ts), once asked for. */
  durations: RouteDurations | undefined
}

/** What describing a route needs from the plugin. */
export interface RouteSettings {
  ignorePaths: ReadonlySet<string>
  lifecycle: LifecycleSettings
  /**
   * Wraps a route's serializers and validators for timing (lifecycle-phases.ts), once. Handed in by
   * the plugin rather than imported: the request metrics read RouteInfo, and the timing reads the
   * request state they are part of.
   */
  instrumentRoute: (routeContext: object) => { validates: boolean }
}

/**
 * Fastify keeps a request's route context under a private symbol; reading it directly avoids
 * `request.routeOptions`, a getter that builds a new object on every access. The symbol is found
 * once, by its description. If a Fastify version hides it, the getter is used instead.
 */
let routeContextSymbol: symbol | null | undefined
const cache = new WeakMap<object, RouteInfo>()

export function routeInfoOf (request: FastifyRequest, settings: RouteSettings): RouteInfo {
  if (routeContextSymbol === undefined) {
    routeContextSymbol = Object.getOwnPropertySymbols(request).find((s) => s.description === 'fastify.context') ?? null
  }
  const routeContext =
    routeContextSymbol === null
      ? undefined
      : (request as unknown as Record<symbol, { config?: { url?: string; otel?: unknown } } | undefined>)[
          routeContextSymbol
        ]
  if (routeContext === undefined || routeContext === null) {
    // The fallback, tested with Fastify's internals hidden: the getter builds its object on every read.
    const options = request.routeOptions
    return describe(undefined, options.config, options.url, request.method, settings)
  }
  let info = cache.get(routeContext)
  if (info === undefined) {
    info = describe(routeContext, routeContext.config, routeContext.config?.url, request.method, settings)
    cache.set(routeContext, info)
  }
  return info
}

function describe (
  routeContext: object | undefined,
  config: { otel?: unknown } | undefined,
  route: string | undefined,
  method: string,
  settings: RouteSettings
): RouteInfo {
  const traced = config?.otel !== false && !(route !== undefined && settings.ignorePaths.has(route))
  const timing = routeLifecycleSettings(settings.lifecycle, config?.otel, `${method} ${route ?? '(no route)'}`)
  // A route's serializers and validators are wrapped once, before its first request reaches them.
  const { validates } =
    traced && timing.mode !== 'off' && routeContext !== undefined
      ? settings.instrumentRoute(routeContext)
      : { validates: false }
  return {
    traced,
    route,
    names: new Map(),
    timing,
    validates,
    records: new Map(),
    lastMethod: undefined,
    lastRecord: undefined,
    durations: undefined
  }
}

/** The summary record of `method` on this route, in `summaries` (one per plugin instance). */
export function routeRecordFor (info: RouteInfo, method: string, summaries: RouteSummaries): RouteRecord {
  // Most routes serve one method: the last one found is checked first.
  if (info.lastMethod === method) return info.lastRecord!
  let record = info.records.get(method)
  if (record === undefined) {
    record = summaries.recordFor(spanNameFor(info, method))
    info.records.set(method, record)
  }
  info.lastMethod = method
  info.lastRecord = record
  return record
}

export function spanNameFor (info: RouteInfo, method: string): string {
  let name = info.names.get(method)
  if (name === undefined) {
    name = serverSpanName(method, info.route)
    info.names.set(method, name)
  }
  return name
}
