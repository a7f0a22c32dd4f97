import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { RequestMetrics, RouteDurations } from '../sdk/metrics/request-metrics.js'
import { connectionScheme, knownMethod, protocolVersion } from './http-attributes.js'

/**
 * The requests Fastify refuses while it closes. From the moment close begins, a request that still
 * arrives (pipelined, or on a kept-alive connection that is still busy) is answered 503 by Fastify
 * itself (`return503OnClosing`), on arrival and before any hook runs: no request span, and without
 * this no request metric either, so a deploy's 503s were missing from the 5xx share. They are
 * counted in http.server.request.duration with status 503 and `error.type` `503`, without
 * `http.route` (the plugin never learns which route was asked for), and a duration of zero (the
 * answer is written on arrival).
 *
 * Watching starts at preClose (the server's 'request' event, after Fastify's own listener has
 * answered) and ends with the plugin's close, before the last collection is exported. A request
 * the plugin's hook took meanwhile is noted, so that a route answering 503 itself is not counted
 * twice. Only the server Fastify returns as `app.server` is watched: listening on `localhost`,
 * Fastify also listens on the other address family with servers of its own, whose refusals are not
 * counted.
 */
export class ClosingRefusals {
  private taken: WeakSet<IncomingMessage> | undefined
  private durations: RouteDurations | undefined
  private server: Server | undefined

  constructor (private readonly metrics: RequestMetrics | undefined) {}

  /** From preClose on: `server` is the Fastify instance's. */
  start (server: Server): void {
    if (this.metrics === undefined || !this.metrics.recordDuration || this.taken !== undefined) return
    this.taken = new WeakSet()
    this.durations = this.metrics.forRoute(undefined)
    this.server = server
    server.on('request', this.onRequest)
  }

  /** The plugin's request hook, while watching: this request is the plugin's, counted by its span. */
  took (raw: IncomingMessage): void {
    this.taken?.add(raw)
  }

  get watching (): boolean {
    return this.taken !== undefined
  }

  stop (): void {
    this.server?.off('request', this.onRequest)
    this.server = undefined
    this.taken = undefined
  }

  private readonly onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    if (this.taken!.has(request) || !response.writableEnded || response.statusCode !== 503) return
    const scheme = connectionScheme(request)
    const method = knownMethod(request.method ?? '')
    this.durations!.record(method, scheme, 503, '503', protocolVersion(request.httpVersion), 0)
  }
}
