import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { InstrumentType, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../context/instrumentation-scope.js'
import { buildOtlpMetricExporter } from '../sdk/assembly/metric-exporter.js'
import { buildResource } from '../sdk/assembly/resource.js'
import { redactEndpoint } from '../sdk/config/endpoint.js'
import type { ConfigResolution } from '../sdk/config/resolve-config.js'
import { streamsFor } from '../sdk/metrics/instrument-streams.js'
import { withUnitSuffixes } from '../sdk/metrics/prometheus-names.js'
import { addProducers } from '../sdk/metrics/reader-producers.js'
import { RequestMetricsProducer } from '../sdk/metrics/request-metrics-producer.js'
import {
  HTTP_SERVER_ACTIVE_REQUESTS,
  HTTP_SERVER_REQUEST_DURATION,
  RequestMetrics
} from '../sdk/metrics/request-metrics.js'
import type { ResolvedConfig } from '../plugin/options.js'

const SCOPE = { name: PACKAGE_NAME, version: PACKAGE_VERSION }

/**
 * The doctor's metrics section: the pipeline the configuration makes (each reader, where it sends
 * or listens, the interval, the temporality, the views, what is recorded) and, with `smoke`, a
 * real run of it: one request's metrics exported over OTLP (one attempt, what the collector says
 * now), and the Prometheus endpoint started on its port and scraped once. Returns whether it passed.
 */
export async function checkMetrics (
  resolution: ConfigResolution<ResolvedConfig>,
  { smoke, timeoutMillis, write }: { smoke: boolean; timeoutMillis: number; write: (line: string) => void }
): Promise<boolean> {
  const { config } = resolution
  const metrics = config.metrics
  write('\nMetrics')
  if (config.disabled.value) {
    write('  - the SDK is disabled (OTEL_SDK_DISABLED=true): no metrics either')
    return true
  }
  if (!metrics.enabled.value) {
    const why = metrics.enabled.source === 'env' ? ` (${metrics.enabled.env})` : ' (option metrics)'
    write(`  - metrics are off${why}: no MeterProvider, nothing recorded`)
    return true
  }
  const every = `every ${metrics.exportIntervalMillis.value} ms (timeout ${metrics.exportTimeoutMillis.value} ms)`
  for (const name of metrics.exporters.value) {
    if (name === 'otlp') {
      const otlp = metrics.exporter
      if (otlp.kind.value !== 'otlp') {
        write(`  ! otlp: export is off (${otlp.kind.env ?? 'the endpoint cannot be used'}): see the warnings above`)
        continue
      }
      write(
        `  - otlp: ${otlp.protocol.value} to ${redactEndpoint(otlp.endpoint.value)}, ${every}, ` +
          `${metrics.temporality.value} temporality`
      )
    } else if (name === 'prometheus') {
      write(
        `  - prometheus: an endpoint at http://${metrics.prometheus.host.value}:${metrics.prometheus.port.value}/metrics to scrape`
      )
    } else if (name === 'console') {
      write(`  - console: printed ${every}`)
    } else {
      write(`  - an exporter instance from the options, ${every}`)
    }
  }
  if (metrics.readers.value > 0) {
    write(`  - ${metrics.readers.value} reader(s) of the application's (option metrics.readers)`)
  }
  if (metrics.views.value > 0) write(`  - ${metrics.views.value} view(s) (option metrics.views)`)
  write(
    '  - recorded: http.server.request.duration, http.server.active_requests, http.client.request.duration, ' +
      "fastify.request.uncovered.duration, the SDK's health (otel.sdk.*)" +
      (metrics.runtime.value ? ', the runtime (nodejs.eventloop.*, v8js.*)' : '')
  )
  if (!smoke) return true
  let healthy = true
  if (metrics.exporters.value.includes('otlp') && metrics.exporter.kind.value === 'otlp') {
    healthy = (await smokeOtlp(resolution, timeoutMillis, write)) && healthy
  }
  if (metrics.exporters.value.includes('prometheus')) {
    healthy = (await smokePrometheus(resolution, timeoutMillis, write)) && healthy
  }
  return healthy
}

/** One request's metrics, as the plugin records them, on a MeterProvider with `reader`. */
function withOneRequest (
  resolution: ConfigResolution<ResolvedConfig>,
  reader: PeriodicExportingMetricReader | PrometheusExporter
): MeterProvider {
  const table = new RequestMetrics()
  const streams = {
    duration: streamsFor(
      {
        name: HTTP_SERVER_REQUEST_DURATION,
        type: InstrumentType.HISTOGRAM,
        unit: 's',
        description: 'Duration of HTTP server requests.'
      },
      SCOPE,
      resolution.metricViews
    ).streams,
    active: streamsFor(
      {
        name: HTTP_SERVER_ACTIVE_REQUESTS,
        type: InstrumentType.UP_DOWN_COUNTER,
        unit: '{request}',
        description: 'Number of active HTTP server requests.'
      },
      SCOPE,
      resolution.metricViews
    ).streams
  }
  addProducers(
    reader,
    (r) => [new RequestMetricsProducer(table, streams, SCOPE, r)],
    reader instanceof PrometheusExporter ? withUnitSuffixes : undefined
  )
  const provider = new MeterProvider({ resource: buildResource(resolution.config), readers: [reader] })
  table.forRoute('/fastify-otel-kit/doctor').record('GET', 'http', 200, undefined, '1.1', 0.001)
  return provider
}

async function smokeOtlp (
  resolution: ConfigResolution<ResolvedConfig>,
  timeoutMillis: number,
  write: (line: string) => void
): Promise<boolean> {
  const otlp = resolution.config.metrics.exporter
  const where = `${otlp.protocol.value} to ${redactEndpoint(otlp.endpoint.value)}`
  let failure: Error | undefined
  // Never reached before, the exporter makes one attempt: what the collector says now.
  const { exporter } = buildOtlpMetricExporter(
    resolution,
    (message) => write(`  ! ${message}`),
    (_count, error) => {
      failure = error
    }
  )
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: 3_600_000,
    exportTimeoutMillis: timeoutMillis
  })
  const provider = withOneRequest(resolution, reader)
  const started = performance.now()
  // Shutting the reader down collects and exports once. A flush before it would send the same
  // points a second time: two requests to a collector that may be production's.
  await provider.shutdown().catch(() => {})
  const books = exporter.books()
  if (books.exported > 0 && failure === undefined) {
    write(
      `  ✓ otlp: ${where} accepted ${books.exported} metric data point(s) ` +
        `in ${Math.round(performance.now() - started)} ms`
    )
    return true
  }
  write(`  ✗ otlp: export over ${where} failed: ${failure?.message ?? `no answer within ${timeoutMillis} ms`}`)
  write(
    "    The spans' export check above names the usual mistakes; " +
      'metrics use the same settings, exporter.metrics over them.'
  )
  return false
}

async function smokePrometheus (
  resolution: ConfigResolution<ResolvedConfig>,
  timeoutMillis: number,
  write: (line: string) => void
): Promise<boolean> {
  const { host, port } = resolution.config.metrics.prometheus
  const url = `http://${host.value}:${port.value}/metrics`
  let listenError: Error | undefined
  const exporter = new PrometheusExporter({ host: host.value, port: port.value, preventServerStart: true })
  const provider = withOneRequest(resolution, exporter)
  try {
    await exporter.startServer()
  } catch (error) {
    listenError = error as Error
  }
  try {
    if (listenError !== undefined) {
      const code = (listenError as NodeJS.ErrnoException).code ?? listenError.message
      // Taken: perhaps by the service itself, which is then what to scrape.
      const served = code === 'EADDRINUSE' ? await scrape(url, timeoutMillis) : undefined
      if (served?.includes('otel_sdk_') === true) {
        write(`  ✓ prometheus: ${url} is already served, with this package's metrics (the service itself?)`)
        return true
      }
      write(
        `  ✗ prometheus: cannot listen on ${host.value}:${port.value} (${code}): nothing could scrape the service there`
      )
      write('    Set OTEL_EXPORTER_PROMETHEUS_PORT (or metrics.prometheus.port) to a free port.')
      return false
    }
    const text = await scrape(url, timeoutMillis)
    if (text?.includes('http_server_request_duration_seconds_bucket') === true) {
      write(`  ✓ prometheus: ${url} served a scrape with the request metrics (http_server_request_duration_seconds)`)
      if (host.value === 'localhost' || host.value.startsWith('127.')) {
        write('    (it listens on loopback: set OTEL_EXPORTER_PROMETHEUS_HOST=0.0.0.0 to be scraped from another host)')
      }
      return true
    }
    write(`  ✗ prometheus: ${url} did not serve the request metrics`)
    return false
  } finally {
    await provider.shutdown().catch(() => {})
  }
}

async function scrape (url: string, timeoutMillis: number): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMillis) })
    return response.ok ? await response.text() : undefined
  } catch {
    return undefined
  }
}
