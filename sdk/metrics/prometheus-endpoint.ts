import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import type { CollectionResult } from '@opentelemetry/sdk-metrics'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { diag } from '../../context/otel-api.js'

/** MetricReader.collect's options (the SDK does not export their type). */
type CollectionOptions = Parameters<PrometheusExporter['collect']>[0]

/** Where the scrapes go: upstream's default path, which the docs give. */
const METRICS_PATH = '/metrics'

/**
 * The exposition format's media type with its version, which the specification asks for when a
 * scraper names none (upstream writes a bare `text/plain`). OpenMetrics is not offered: a scraper
 * that asks for it gets this one, which Prometheus reads the same way.
 */
const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8'

/**
 * Upstream's Prometheus exporter (its collection and serialisation, through its public request
 * handler), served from a server of the package's own, for what upstream's server does not do:
 *
 * - Its shutdown leaves a scrape in progress its kept-alive connection, and answers the scraper's
 *   next scrape on it: a scraper that polls faster than the connection idles out keeps the
 *   shutdown, and so the plugin's close, waiting (test/contract/prometheus-endpoint-contract.test.mjs).
 *   Here a scrape in progress at shutdown is answered with `connection: close`, and the idle
 *   connections are closed at once.
 * - Its content type is a bare `text/plain` (TEXT_FORMAT below).
 * - A scrape is answered only once the resource's detectors have settled, as the SDK's periodic
 *   reader waits before an export. Otherwise a scrape in the first milliseconds of the process (a
 *   readiness probe, a test) serialises the resource while its host detection is pending, and the
 *   SDK warns about it on every such start.
 *
 * `onListening` is called once the endpoint listens, or with the error that kept it from it.
 */
export class PrometheusEndpoint extends PrometheusExporter {
  readonly #server: Server
  #closing = false

  constructor ({ host, port }: { host: string; port: number }, onListening: (error?: Error) => void) {
    super({ host, port, preventServerStart: true })
    // Unreferenced, as upstream's: the endpoint alone does not keep the process running.
    this.#server = createServer((request, response) => this.#answer(request, response)).unref()
    const failed = (error: Error): void => onListening(error)
    this.#server.once('error', failed)
    this.#server.listen({ host, port }, () => {
      this.#server.off('error', failed)
      // A socket error after that is the scraper's connection's own: nothing to do but say it to diag.
      this.#server.on('error', (error) => diag.error('fastify-otel-kit: the Prometheus endpoint', error))
      onListening()
    })
  }

  override async collect (options?: CollectionOptions): Promise<CollectionResult> {
    const result = await super.collect(options)
    const resource = result.resourceMetrics.resource
    if (resource.asyncAttributesPending === true) await resource.waitForAsyncAttributes?.()
    return result
  }

  override async onShutdown (): Promise<void> {
    this.#closing = true
    await new Promise<void>((resolve) => {
      // A server that never listened (its port taken) answers with ERR_SERVER_NOT_RUNNING: done too.
      this.#server.close(() => resolve())
      this.#server.closeIdleConnections()
    })
  }

  #answer (request: IncomingMessage, response: ServerResponse): void {
    if (this.#closing) response.setHeader('connection', 'close')
    let path: string
    try {
      path = new URL(request.url ?? '/', 'http://localhost').pathname
    } catch {
      response.statusCode = 400
      response.end('Bad Request')
      return
    }
    if (path !== METRICS_PATH) {
      response.statusCode = 404
      response.end()
      return
    }
    this.getMetricsRequestHandler(request, response)
    // Upstream set its content type and writes the body once collected, after this call returns.
    if (!response.headersSent) response.setHeader('content-type', TEXT_FORMAT)
  }
}
