import {
  type IExporterMetricsHelper,
  type ISerializer,
  JsonMetricsSerializer,
  MetricsExporterMetricsHelper,
  ProtobufMetricsSerializer
} from '@opentelemetry/otlp-transformer'
import {
  ConsoleMetricExporter,
  type IMetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics
} from '@opentelemetry/sdk-metrics'
import type { ResolvedExporterConfig } from '../config/options.js'
import type { ConfigResolution } from '../config/resolve-config.js'
import { DEFAULT_RETRY_POLICY } from '../config/retry-policy.js'
import type { ItemExporter } from '../export/queue-contracts.js'
import type { OtlpGrpcService } from '../export/grpc/grpc-transport.js'
import { buildOtlpGrpcExporter } from '../export/grpc/otlp-grpc-exporter.js'
import { buildOtlpHttpExporter } from '../export/http/otlp-http-exporter.js'
import { RetryingExporter } from '../export/retrying-exporter.js'
import { OtlpMetricExporter } from '../metrics/metric-exporter.js'
import { PrometheusEndpoint } from '../metrics/prometheus-endpoint.js'
import { temporalitySelector } from '../metrics/temporality.js'

const METRICS_SERVICE: OtlpGrpcService = Object.freeze({
  path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  name: 'MetricsExportService'
})

/** The package's exporters take batches of items; a metrics export is one collection. */
function oneCollection (serializer: ISerializer<ResourceMetrics, unknown>): ISerializer<ResourceMetrics[], unknown> {
  return {
    serializeRequest: (collections) => serializer.serializeRequest(collections[0]!),
    deserializeResponse: (data) => serializer.deserializeResponse(data)
  }
}

const HELPER: IExporterMetricsHelper<ResourceMetrics[]> = {
  name: 'metric_data_point',
  countItems: (collections) => MetricsExporterMetricsHelper.countItems(collections[0]!)
}

/** The readers the package builds, and the parts the rest of the assembly reports on. */
export interface MetricReaders {
  readers: IMetricReader[]
  /** The OTLP exporter, for its books (otel.sdk.exporter.metric_data_point.*, stats().metrics). */
  otlp: OtlpMetricExporter | undefined
  /** `otlp_http_metric_exporter`..., for the health metrics. */
  otlpType: string
  /** Where the Prometheus endpoint listens, when there is one. */
  prometheus: { host: string; port: number } | undefined
  prometheusReader: IMetricReader | undefined
}

/**
 * The metric readers the resolved configuration asks for: a periodic reader per push exporter
 * (OTLP over the metrics' protocol, console, or the application's exporter instance), the
 * Prometheus endpoint (upstream's exporter, a pull reader with its own HTTP server), then the
 * application's own readers. `onExportFailure` hears of failed OTLP exports; `onEndpointError` of
 * a Prometheus endpoint that could not listen.
 */
export function buildMetricReaders (
  resolution: ConfigResolution,
  warn: (message: string) => void,
  onExportFailure: (dataPoints: number, error: Error | undefined, reached: boolean) => void,
  onEndpointError: (error: Error) => void
): MetricReaders {
  const { metrics } = resolution.config
  const out: MetricReaders = {
    readers: [],
    otlp: undefined,
    otlpType: '',
    prometheus: undefined,
    prometheusReader: undefined
  }
  const periodic = (exporter: PushMetricExporter): PeriodicExportingMetricReader =>
    new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: metrics.exportIntervalMillis.value,
      exportTimeoutMillis: metrics.exportTimeoutMillis.value
    })
  for (const name of metrics.exporters.value) {
    switch (name) {
      case 'otlp': {
        // Off when the endpoint from the environment cannot be used (never a default address instead).
        if (metrics.exporter.kind.value !== 'otlp') break
        const built = buildOtlpMetricExporter(resolution, warn, onExportFailure)
        out.otlp = built.exporter
        out.otlpType = built.type
        out.readers.push(periodic(built.exporter))
        break
      }
      case 'console':
        out.readers.push(
          periodic(new ConsoleMetricExporter({ temporalitySelector: temporalitySelector(metrics.temporality.value) }))
        )
        break
      case 'custom':
        out.readers.push(periodic(resolution.metricExporterInstance!))
        break
      case 'prometheus': {
        const host = metrics.prometheus.host.value
        const port = metrics.prometheus.port.value
        out.prometheus = { host, port }
        out.prometheusReader = new PrometheusEndpoint({ host, port }, (error) => {
          if (error !== undefined && error !== null) onEndpointError(error as Error)
        })
        out.readers.push(out.prometheusReader)
        break
      }
    }
  }
  out.readers.push(...resolution.metricReaders)
  return out
}

/** The OTLP metric exporter over the metrics' protocol, from the resolved settings. */
export function buildOtlpMetricExporter (
  resolution: ConfigResolution,
  warn: (message: string) => void,
  onExportFailure: (dataPoints: number, error: Error | undefined, reached: boolean) => void
): { exporter: OtlpMetricExporter; type: string } {
  const { metrics } = resolution.config
  const config = metrics.exporter
  // One attempt here; the retries are added below (OtlpMetricExporter uses them once the collector
  // has been reached).
  const once: ResolvedExporterConfig = { ...config, retry: { value: false, source: 'default' } }
  const headers = resolution.metricExporterHeaders
  const timeout = metrics.exportTimeoutMillis.value
  let raw: ItemExporter<ResourceMetrics>
  let type: string
  const protocol = config.protocol.value
  if (protocol === 'grpc') {
    type = 'otlp_grpc_metric_exporter'
    raw = buildOtlpGrpcExporter(
      {
        service: METRICS_SERVICE,
        serializer: oneCollection(ProtobufMetricsSerializer),
        metricsHelper: HELPER,
        componentType: type
      },
      once,
      headers,
      timeout,
      warn
    )
  } else {
    type = protocol === 'http/json' ? 'otlp_http_json_metric_exporter' : 'otlp_http_metric_exporter'
    raw = buildOtlpHttpExporter(
      {
        serializer: oneCollection(protocol === 'http/json' ? JsonMetricsSerializer : ProtobufMetricsSerializer),
        metricsHelper: HELPER,
        contentType: protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
        componentType: type
      },
      once,
      headers,
      timeout,
      warn
    )
  }
  const retry = config.retry.value
  const retrying =
    retry === false
      ? raw
      : new RetryingExporter<ResourceMetrics>(
        raw,
        { ...DEFAULT_RETRY_POLICY, ...retry },
        { exportTimeoutMillis: timeout, attemptTimeoutMillis: config.timeoutMillis.value }
      )
  return { exporter: new OtlpMetricExporter(raw, retrying, metrics.temporality.value, onExportFailure), type }
}
