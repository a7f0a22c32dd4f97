import type { FastifyRequest } from 'fastify'
import { serverSpanName } from './http-attributes.js'
import type { RouteDurations } from '../sdk/metrics/request-metrics.js'

/** What the request hooks need to know about a route, computed once per route, not per request. */
export interface RouteInfo {
  /** False for `config: { otel: false }` and for routes on the ignore list. */
  traced: boolean
  /** The route template (`/orders/:id`), undefined when no route matched. */
  route: string | undefined
  /** Span names by method (a route may serve several methods). */
  names: Map<string, string>
  /** The route's request-duration sets in the metrics table (plugin/request-metrics.ts), once asked for. */
  durations: RouteDurations | undefined
}

/**
 * Fastify keeps a request's route context under a private symbol; reading it directly avoids
 * `request.routeOptions`, a getter that builds a new object on every access. The symbol is found
 * once, by its description. If a Fastify version hides it, the getter is used instead.
 */
let routeContextSymbol: symbol | null | undefined
const cache = new WeakMap<object, RouteInfo>()

export function routeInfoOf (request: FastifyRequest, ignorePaths: ReadonlySet<string>): RouteInfo {
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
    return describe(options.config, options.url, ignorePaths)
  }
  let info = cache.get(routeContext)
  if (info === undefined) {
    info = describe(routeContext.config, routeContext.config?.url, ignorePaths)
    cache.set(routeContext, info)
  }
  return info
}

function describe (
  config: { otel?: unknown } | undefined,
  route: string | undefined,
  ignorePaths: ReadonlySet<string>
): RouteInfo {
  return {
    traced: config?.otel !== false && !(route !== undefined && ignorePaths.has(route)),
    route,
    names: new Map(),
    durations: undefined
  }
}

export function spanNameFor (info: RouteInfo, method: string): string {
  let name = info.names.get(method)
  if (name === undefined) {
    name = serverSpanName(method, info.route)
    info.names.set(method, name)
  }
  return name
}
