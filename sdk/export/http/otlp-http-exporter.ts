import { createOtlpHttpExporterMetrics } from '@opentelemetry/otlp-exporter-base/node-http'
import type { IExporterMetricsHelper, ISerializer } from '@opentelemetry/otlp-transformer'
import type { ResolvedExporterConfig } from '../../config/options.js'
import type { ItemExporter } from '../queue-contracts.js'
import { otlpItemExporter } from '../otlp-item-exporter.js'
import { readTlsFiles, tlsPairProblem } from '../tls-files.js'
import { exporterUserAgent } from '../user-agent.js'
import { HttpTransport } from './http-transport.js'

/** What differs between the OTLP/HTTP exporters of two signals and two encodings. */
export interface OtlpHttpSignal<T> {
  /**
   * Turns a batch into the request body. Upstream's (ProtobufTraceSerializer, JsonTraceSerializer...)
   * today; any encoder of the same shape fits here, the gRPC exporter's too.
   */
  serializer: ISerializer<T[], unknown>
  metricsHelper: IExporterMetricsHelper<T[]>
  /** `application/x-protobuf` or `application/json`. */
  contentType: string
  /** Upstream's self-observability component type (`otlp_http_span_exporter`...). */
  componentType: string
}

/**
 * OpenTelemetry JS's OTLP/HTTP exporter for one signal and encoding, assembled from its public
 * parts as its own constructors do (exporter-trace-otlp-proto and -http: the same delegate, the
 * serializer passed in), with the transport replaced (http-transport.ts says why) and wrapped in
 * the package's retries, the same as over gRPC: one retry loop, which knows the batch's deadline.
 * Built from the resolved configuration only: upstream's constructor would merge
 * OTEL_EXPORTER_OTLP_* in again, undoing what resolution decided.
 */
export function buildOtlpHttpExporter<T> (
  signal: OtlpHttpSignal<T>,
  exporter: ResolvedExporterConfig,
  headers: Record<string, string>,
  exportTimeoutMillis: number,
  warn: (message: string) => void
): ItemExporter<T> {
  const url = new URL(exporter.endpoint.value)
  const tls =
    url.protocol === 'https:'
      ? readTlsFiles(exporter, warn, tlsPairProblem)
      : {}
  const transport = new HttpTransport({
    url,
    headers: { ...headers, 'Content-Type': signal.contentType },
    compression: exporter.compression.value,
    tls,
    userAgent: exporterUserAgent('@opentelemetry/otlp-exporter-base')
  })
  return otlpItemExporter(
    exporter,
    exportTimeoutMillis,
    signal.serializer,
    createOtlpHttpExporterMetrics<T[]>(signal.componentType, signal.metricsHelper, url.href, undefined),
    transport
  )
}
