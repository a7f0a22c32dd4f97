import { JsonLogsSerializer, LogsExporterMetricsHelper } from '@opentelemetry/otlp-transformer'
import { ConsoleLogRecordExporter, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs'
import type { ConfigResolution } from '../config/resolve-config.js'
import type { ItemExporter } from '../export/queue-contracts.js'
import { LOGS_SERVICE } from '../export/grpc/grpc-transport.js'
import { buildOtlpGrpcExporter, type OtlpSignal } from '../export/grpc/otlp-grpc-exporter.js'
import { buildOtlpHttpExporter, type OtlpHttpSignal } from '../export/http/otlp-http-exporter.js'
import { protobufLogsSerializer } from '../logs/otlp-log-encoder.js'
import { exportDeadline } from './queue-limits.js'

/**
 * OTLP protobuf, over gRPC and over HTTP: the package's encoder (docs/internals/upstream-parts.md,
 * "The OTLP encoder"). OTLP/JSON stays on upstream's serializer.
 */
const PROTOBUF = protobufLogsSerializer()

/** What upstream's OTLPLogExporter (exporter-logs-otlp-grpc) passes to its delegate. */
const LOGS: OtlpSignal<ReadableLogRecord> = {
  service: LOGS_SERVICE,
  serializer: PROTOBUF,
  metricsHelper: LogsExporterMetricsHelper,
  componentType: 'otlp_grpc_log_exporter'
}

/** What upstream's OTLPLogExporter (exporter-logs-otlp-proto, -http) passes to its delegate. */
const LOGS_HTTP: Record<'http/protobuf' | 'http/json', OtlpHttpSignal<ReadableLogRecord>> = {
  'http/protobuf': {
    serializer: PROTOBUF,
    metricsHelper: LogsExporterMetricsHelper,
    contentType: 'application/x-protobuf',
    componentType: 'otlp_http_log_exporter'
  },
  'http/json': {
    serializer: JsonLogsSerializer,
    metricsHelper: LogsExporterMetricsHelper,
    contentType: 'application/json',
    componentType: 'otlp_http_log_exporter'
  }
}

/**
 * The log record exporter the resolved configuration asks for; undefined when logs are off. Over
 * OTLP it is the spans' exporter for the logs service or path: the same transport, the same retries.
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
    case 'otlp': {
      const protocol = logs.exporter.protocol.value
      if (protocol === 'grpc') {
        return buildOtlpGrpcExporter(
          LOGS,
          logs.exporter,
          resolution.logExporterHeaders,
          exportDeadline(logs.batch, logs.exporter),
          warn
        )
      }
      return buildOtlpHttpExporter(
        LOGS_HTTP[protocol],
        logs.exporter,
        resolution.logExporterHeaders,
        exportDeadline(logs.batch, logs.exporter),
        warn
      )
    }
  }
}
