import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base'
import { createOtlpHttpExportDelegate, httpAgentFactoryFromOptions } from '@opentelemetry/otlp-exporter-base/node-http'
import type { IExporterMetricsHelper, ISerializer } from '@opentelemetry/otlp-transformer'
import type { ResolvedExporterConfig } from '../../config/options.js'
import type { ItemExporter } from '../batch-queue.js'

/** What differs between the OTLP/HTTP exporters of two signals and two encodings. */
export interface OtlpHttpSignal<T> {
  serializer: ISerializer<T[], unknown>
  metricsHelper: IExporterMetricsHelper<T[]>
  /** `application/x-protobuf` or `application/json`. */
  contentType: string
  /** Upstream's self-observability component type (`otlp_http_span_exporter`...). */
  componentType: string
}

/**
 * Interim: upstream's OTLP/HTTP delegate, built from the resolved configuration only. The
 * transport, the retries and TLS come next.
 */
export function buildOtlpHttpExporter<T> (
  signal: OtlpHttpSignal<T>,
  exporter: ResolvedExporterConfig,
  headers: Record<string, string>
): ItemExporter<T> {
  const delegate = createOtlpHttpExportDelegate(
    {
      url: exporter.endpoint.value,
      headers: async () => ({ ...headers, 'Content-Type': signal.contentType }),
      agentFactory: httpAgentFactoryFromOptions({ keepAlive: true }),
      timeoutMillis: exporter.timeoutMillis.value,
      concurrencyLimit: 2,
      compression: exporter.compression.value
    },
    signal.serializer,
    signal.componentType,
    signal.metricsHelper,
    undefined
  )
  const upstream = new OTLPExporterBase<T[]>(delegate)
  return {
    export: (items, done) => upstream.export(items, done),
    forceFlush: () => upstream.forceFlush(),
    shutdown: () => upstream.shutdown()
  }
}
