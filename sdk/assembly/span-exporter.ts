import {
  type IExporterMetricsHelper,
  JsonTraceSerializer,
  TraceExporterMetricsHelper
} from '@opentelemetry/otlp-transformer'
import type { Resource } from '@opentelemetry/resources'
import { ConsoleSpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace'
import type { ConfigResolution } from '../config/resolve-config.js'
import type { ItemExporter, QueueEncoding } from '../export/queue-contracts.js'
import type { EncodedItem } from '../export/protobuf/encoded-items.js'
import { encodedSpans, measuredSpans } from '../traces/span-queue-encoding.js'
import { exportDeadline } from './queue-limits.js'
import { TRACE_SERVICE } from '../export/grpc/grpc-transport.js'
import { buildOtlpGrpcExporter, type OtlpSignal } from '../export/grpc/otlp-grpc-exporter.js'
import { buildOtlpHttpExporter, type OtlpHttpSignal } from '../export/http/otlp-http-exporter.js'
import { encodedSpanSerializer, protobufSpanSerializer } from '../traces/otlp-span-encoder.js'

/**
 * OTLP protobuf, over gRPC and over HTTP: the package's encoder (docs/internals/upstream-parts.md,
 * "The OTLP encoder"). OTLP/JSON stays on upstream's serializer.
 */
const PROTOBUF = protobufSpanSerializer()

const TRACES: OtlpSignal<ReadableSpan> = {
  service: TRACE_SERVICE,
  serializer: PROTOBUF,
  metricsHelper: TraceExporterMetricsHelper,
  componentType: 'otlp_grpc_span_exporter'
}

/** What upstream's OTLPTraceExporter (exporter-trace-otlp-proto, -http) passes to its delegate. */
const TRACES_HTTP: Record<'http/protobuf' | 'http/json', OtlpHttpSignal<ReadableSpan>> = {
  'http/protobuf': {
    serializer: PROTOBUF,
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
        const deadline = exportDeadline(batch, exporter)
        return buildOtlpGrpcExporter(TRACES, exporter, resolution.exporterHeaders, deadline, warn)
      }
      return buildOtlpHttpExporter(
        TRACES_HTTP[protocol],
        exporter,
        resolution.exporterHeaders,
        exportDeadline(batch, exporter),
        warn
      )
    }
  }
}

/** A span exporter with what the queue in front of it holds (span-queue-encoding.ts). */
export interface SpanExport<T extends { readonly resource: Resource }> {
  exporter: ItemExporter<T>
  encoding: QueueEncoding<ReadableSpan, T>
}

/**
 * The export the pipeline's queue feeds. OTLP protobuf (gRPC, HTTP) takes spans the queue holds
 * encoded, each written as it ended, and puts a request together by copying them; every other
 * exporter takes the spans themselves (buildExporter), measured for the queue's byte bound.
 */
export function buildSpanExport (
  resolution: ConfigResolution,
  warn: (message: string) => void
): SpanExport<EncodedItem> | SpanExport<ReadableSpan> | undefined {
  const { exporter, batch } = resolution.config
  if (exporter.kind.value === 'otlp' && exporter.protocol.value !== 'http/json') {
    const serializer = encodedSpanSerializer()
    // Upstream's helper counts the batch's items: the same for encoded spans.
    const metricsHelper: IExporterMetricsHelper<EncodedItem[]> = {
      name: TraceExporterMetricsHelper.name,
      countItems: (items) => items.length
    }
    const timeout = exportDeadline(batch, exporter)
    const encoded =
      exporter.protocol.value === 'grpc'
        ? buildOtlpGrpcExporter<EncodedItem>(
          { ...TRACES, serializer, metricsHelper },
          exporter,
          resolution.exporterHeaders,
          timeout,
          warn
        )
        : buildOtlpHttpExporter<EncodedItem>(
          { ...TRACES_HTTP['http/protobuf'], serializer, metricsHelper },
          exporter,
          resolution.exporterHeaders,
          timeout,
          warn
        )
    return { exporter: encoded, encoding: encodedSpans() }
  }
  const plain = buildExporter(resolution, warn)
  return plain === undefined ? undefined : { exporter: plain, encoding: measuredSpans() }
}
