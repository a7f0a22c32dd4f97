import type { Histogram, MeterProvider as ApiMeterProvider } from '@opentelemetry/api'
import type { Resource } from '@opentelemetry/resources'
import { InstrumentType, MeterProvider } from '@opentelemetry/sdk-metrics'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import type { ConfigResolution } from '../config/resolve-config.js'
import { redactEndpoint } from '../config/endpoint.js'
import type { Warnings } from '../diagnostics/warnings.js'
import { WindowedReport } from '../diagnostics/windowed-report.js'
import { streamsFor } from '../metrics/instrument-streams.js'
import type { MetricExportBooks } from '../metrics/metric-exporter.js'
import { addProducers } from '../metrics/reader-producers.js'
import { withUnitSuffixes } from '../metrics/prometheus-names.js'
import { RequestMetricsProducer } from '../metrics/request-metrics-producer.js'
import {
  DURATION_BOUNDARIES,
  HTTP_SERVER_ACTIVE_REQUESTS,
  HTTP_SERVER_REQUEST_DURATION,
  recordedSetBound,
  REQUEST_UNCOVERED_DURATION,
  RequestMetrics
} from '../metrics/request-metrics.js'
import { startRuntimeMetrics } from '../metrics/runtime-metrics.js'
import { exportDurationRecorder, type HealthSources, registerSdkHealth } from '../metrics/sdk-health.js'
import { buildMetricReaders } from './metric-exporter.js'
import { clientDurationHistogram } from '../metrics/client-metrics.js'

const WINDOW_MILLIS = 10_000
const SCOPE = Object.freeze({ name: PACKAGE_NAME, version: PACKAGE_VERSION })

/** What `stats().metrics` says: the OTLP exporter's books, in data points. */
export type MetricStats = Omit<MetricExportBooks, 'failed'> & { failed: number }

/** The metrics side of the SDK: a MeterProvider on the spans' resource, with the package's instruments. */
export interface MetricPipeline {
  provider: MeterProvider
  /** The HTTP server metrics' table; undefined when views drop both instruments. */
  requests: RequestMetrics | undefined
  /** http.client.request.duration, for the plugin's outbound calls. */
  clientDuration: Histogram
  /** Where the Prometheus endpoint listens, if there is one. */
  prometheus: { host: string; port: number } | undefined
  /** The OTLP exporter's books; undefined without the OTLP exporter. */
  stats(): MetricStats | undefined
  /** Registers the SDK's health instruments; `exportSettled` is for the queues' events. */
  observeHealth(sources: HealthSources): void
  forceFlush(): Promise<void>
  shutdown(): Promise<void>
  /** At the shutdown bound: the export under way is ended, nothing waits for it. */
  abandon(): void
  /** Reports the windows' failures now (at shutdown). */
  closeWarnings(): void
}

/** What a failed metric export means while the service runs on. */
const KEEPS_RUNNING =
  'The service is not affected; with cumulative temporality the next export, if there is one, carries the totals.'

/**
 * The metrics side of the assembly: readers and exporters from the resolved configuration, views,
 * a MeterProvider on `resource`; the request metrics' table, read by every reader through its own
 * producer (in that reader's temporality); the runtime's metrics. Undefined when metrics are off.
 */
export function assembleMetricPipeline (
  resolution: ConfigResolution,
  resource: Resource,
  warnings: Warnings
): MetricPipeline | undefined {
  const { metrics } = resolution.config
  if (!metrics.enabled.value) return undefined
  // Set when shutdown (or the signal's abandon) begins: failures after it end with the process.
  let ending = false
  const failures = new WindowedReport<Error>(WINDOW_MILLIS, (count, error) => {
    warnings.warn(
      'FOK_WARN_METRICS_EXPORT_FAILED',
      `could not export ${count} metric data point(s) to the collector: ${error?.message ?? 'unknown error'}. ` +
        (ending ? 'Metrics were shutting down: these are lost.' : KEEPS_RUNNING),
      { once: false }
    )
  })
  /** Failures from before the end are said as they were (a later export carries their totals). */
  const beginEnding = (): void => {
    if (ending) return
    failures.flush()
    ending = true
  }
  let unreachableSaid = false
  const built = buildMetricReaders(
    resolution,
    (message) => warnings.warn('FOK_WARN_CONFIG', message),
    (count, error, reached) => {
      if (reached) {
        failures.add(count, error ?? new Error('unknown error'))
        return
      }
      // A collector never reached (none running, in development): said once, not every interval.
      // Once by this flag, not by the message: grpc-js puts a time in its errors' text.
      if (unreachableSaid) return
      unreachableSaid = true
      warnings.warn(
        'FOK_WARN_METRICS_EXPORT_FAILED',
        `metrics: the collector at ${redactEndpoint(metrics.exporter.endpoint.value)} cannot be reached ` +
          `(${error?.message ?? 'unknown error'}); metric exports fail until it can (stats().metrics counts them). ` +
          'Set OTEL_EXPORTER_OTLP_ENDPOINT to your collector, or OTEL_METRICS_EXPORTER=none to turn metrics off.'
      )
    },
    (error) => {
      warnings.warn(
        'FOK_WARN_METRICS_ENDPOINT',
        'the Prometheus endpoint could not listen on ' +
          `${metrics.prometheus.host.value}:${metrics.prometheus.port.value} ` +
          `(${(error as NodeJS.ErrnoException).code ?? error.message}): nothing can scrape this process. ` +
          'Set OTEL_EXPORTER_PROMETHEUS_PORT (or metrics.prometheus.port) to a free port.'
      )
    }
  )

  // The views as the SDK applies them to every instrument, and to the request metrics here.
  const views = resolution.metricViews
  const duration = streamsFor(
    {
      name: HTTP_SERVER_REQUEST_DURATION,
      type: InstrumentType.HISTOGRAM,
      unit: 's',
      description: 'Duration of HTTP server requests.'
    },
    SCOPE,
    views
  )
  const active = streamsFor(
    {
      name: HTTP_SERVER_ACTIVE_REQUESTS,
      type: InstrumentType.UP_DOWN_COUNTER,
      unit: '{request}',
      description: 'Number of active HTTP server requests.'
    },
    SCOPE,
    views
  )
  const uncovered = streamsFor(
    {
      name: REQUEST_UNCOVERED_DURATION,
      type: InstrumentType.HISTOGRAM,
      unit: 's',
      description: 'Time of HTTP server requests that no span covers.'
    },
    SCOPE,
    views
  )
  for (const note of [...duration.notes, ...active.notes, ...uncovered.notes]) warnings.warn('FOK_WARN_CONFIG', note)
  const histograms = duration.streams.filter((s) => s.aggregation !== 'drop')
  const boundaries = histograms.find((s) => s.boundaries !== undefined)?.boundaries ?? DURATION_BOUNDARIES
  if (histograms.some((s) => s.boundaries !== undefined && s.boundaries.join() !== boundaries.join())) {
    warnings.warn(
      'FOK_WARN_CONFIG',
      `views give ${HTTP_SERVER_REQUEST_DURATION} different bucket boundaries; ` +
        `all its streams use the first: ${boundaries.join(', ')}.`
    )
  }
  const recordDuration = histograms.length > 0
  const recordActive = active.streams.some((s) => s.aggregation !== 'drop')
  // The table keeps room for the largest cardinality limit a view gives the histogram's streams.
  const bound = recordedSetBound(histograms.map((s) => s.cardinalityLimit))
  const requests = recordDuration || recordActive
    ? new RequestMetrics(boundaries, recordDuration, recordActive, undefined, bound)
    : undefined
  const streams = { duration: duration.streams, active: active.streams, uncovered: uncovered.streams }
  for (const reader of built.readers) {
    addProducers(
      reader,
      (r) => (requests === undefined ? [] : [new RequestMetricsProducer(requests, streams, SCOPE, r)]),
      // The Prometheus endpoint names metrics with their units, as the specification's rules say.
      reader === built.prometheusReader ? withUnitSuffixes : undefined
    )
  }

  const provider = new MeterProvider({ resource, views, readers: built.readers })
  const meter = provider.getMeter(PACKAGE_NAME, PACKAGE_VERSION)
  const stopRuntime = metrics.runtime.value ? startRuntimeMetrics(provider) : () => {}
  let stopHealth = (): void => {}
  // Once shutdown has begun, a flush is its final collection: the MeterProvider refuses (and says
  // so through diag) a flush after its shutdown, which the signal handler's flush can be.
  let shuttingDown: Promise<void> | undefined
  return {
    provider,
    requests,
    clientDuration: clientDurationHistogram(meter),
    prometheus: built.prometheus,
    stats: () => {
      if (built.otlp === undefined) return undefined
      const books = built.otlp.books()
      let failed = 0
      for (const count of books.failed.values()) failed += count
      return { exported: books.exported, failed, inFlight: books.inFlight, failedExports: books.failedExports }
    },
    observeHealth: (sources) => {
      const otlp = built.otlp
      stopHealth = registerSdkHealth(meter, {
        ...sources,
        ...(otlp === undefined
          ? {}
          : {
              metricExport: () => ({
                ...otlp.books(),
                type: built.otlpType,
                attributes: serverOf(metrics.exporter.endpoint.value)
              })
            })
      })
    },
    forceFlush: () => shuttingDown ?? provider.forceFlush(),
    shutdown: () => {
      beginEnding()
      shuttingDown ??= (async () => {
        // The runtime's instruments are observed by the final collection the shutdown makes: they
        // stop after it (stopped before, a process that ended before its first periodic export
        // sent none of them).
        try {
          await provider.shutdown()
        } finally {
          stopRuntime()
          stopHealth()
        }
      })()
      return shuttingDown
    },
    abandon: () => {
      beginEnding()
      stopRuntime()
      built.otlp?.abandon()
    },
    closeWarnings: () => failures.close()
  }
}

/** server.address and server.port of an endpoint, for the exporters' health metrics. */
export function serverOf (endpoint: string): { 'server.address'?: string; 'server.port'?: number } {
  try {
    const url = new URL(endpoint.includes('://') ? endpoint : `https://${endpoint}`)
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
    return { 'server.address': url.hostname, 'server.port': port }
  } catch {
    return {}
  }
}

/** The health recorder for a queue's export durations, on `provider`'s meter. */
export function exportDurations (
  provider: ApiMeterProvider,
  exporterType: string,
  exporterAttributes: Record<string, string | number>
): (count: number, seconds: number, failure: string | undefined) => void {
  return exportDurationRecorder(provider.getMeter(PACKAGE_NAME, PACKAGE_VERSION), { exporterType, exporterAttributes })
}
