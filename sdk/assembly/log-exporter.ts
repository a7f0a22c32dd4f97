import { LogsExporterMetricsHelper, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer'
import { ConsoleLogRecordExporter, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs'
import type { ConfigResolution } from '../config/resolve-config.js'
import type { ItemExporter } from '../export/batch-queue.js'
import { LOGS_SERVICE } from '../export/grpc/grpc-transport.js'
import { buildOtlpGrpcExporter, type OtlpSignal } from '../export/grpc/otlp-grpc-exporter.js'

/** What upstream's OTLPLogExporter (exporter-logs-otlp-grpc) passes to its delegate. */
const LOGS: OtlpSignal<ReadableLogRecord> = {
  service: LOGS_SERVICE,
  serializer: ProtobufLogsSerializer,
  metricsHelper: LogsExporterMetricsHelper,
  componentType: 'otlp_grpc_log_exporter'
}

/**
 * The log record exporter the resolved configuration asks for; undefined when logs are off. Over
 * OTLP/gRPC it is the spans' exporter for the logs service: the same transport, the same retries.
 */
export function buildLogExporter (
  resolution: ConfigResolution,
  warn: (message: string) => void
): ItemExporter<ReadableLogRecord> | undefined {
  const { logs } = resolution.config
  switch (logs.exporter.kind.value) {
    case 'custom':
      return resolution.logExporterInstance as LogRecordExporter
    case 'none':
      return undefined
    case 'console':
      return new ConsoleLogRecordExporter()
    case 'otlp-grpc':
      return buildOtlpGrpcExporter(
        LOGS,
        logs.exporter,
        resolution.logExporterHeaders,
        logs.batch.exportTimeoutMillis.value,
        warn
      )
  }
}
