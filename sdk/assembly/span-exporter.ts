import {
  JsonTraceSerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper
} from '@opentelemetry/otlp-transformer'
import { ConsoleSpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace'
import type { ConfigResolution } from '../config/resolve-config.js'
import { TRACE_SERVICE } from '../export/grpc/grpc-transport.js'
import { buildOtlpGrpcExporter, type OtlpSignal } from '../export/grpc/otlp-grpc-exporter.js'
import { buildOtlpHttpExporter, type OtlpHttpSignal } from '../export/http/otlp-http-exporter.js'

const TRACES: OtlpSignal<ReadableSpan> = {
  service: TRACE_SERVICE,
  serializer: ProtobufTraceSerializer,
  metricsHelper: TraceExporterMetricsHelper,
  componentType: 'otlp_grpc_span_exporter'
}

/** What upstream's OTLPTraceExporter (exporter-trace-otlp-proto, -http) passes to its delegate. */
const TRACES_HTTP: Record<'http/protobuf' | 'http/json', OtlpHttpSignal<ReadableSpan>> = {
  'http/protobuf': {
    serializer: ProtobufTraceSerializer,
    metricsHelper: TraceExporterMetricsHelper,
    contentType: 'application/x-protobuf',
    componentType: 'otlp_http_span_exporter'
  },
  'http/json': {
    serializer: JsonTraceSerializer,
    metricsHelper: TraceExporterMetricsHelper,
    contentType: 'application/json',
    componentType: 'otlp_http_span_exporter'
  }
}

/** The span exporter the resolved configuration asks for; undefined for `none`. */
export function buildExporter (
  resolution: ConfigResolution,
  warn: (message: string) => void
): SpanExporter | undefined {
  const { exporter, batch } = resolution.config
  switch (exporter.kind.value) {
    case 'custom':
      return resolution.exporterInstance
    case 'none':
      return undefined
    case 'console':
      return new ConsoleSpanExporter()
    case 'otlp': {
      const protocol = exporter.protocol.value
      if (protocol === 'grpc') {
        const deadline = batch.exportTimeoutMillis.value
        return buildOtlpGrpcExporter(TRACES, exporter, resolution.exporterHeaders, deadline, warn)
      }
      return buildOtlpHttpExporter(
        TRACES_HTTP[protocol],
        exporter,
        resolution.exporterHeaders,
        batch.exportTimeoutMillis.value,
        warn
      )
    }
  }
}
