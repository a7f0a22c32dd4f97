import { credentials, Metadata } from '@grpc/grpc-js'
import { createOtlpGrpcExporterMetrics } from '@opentelemetry/otlp-grpc-exporter-base'
import type { IExporterMetricsHelper, ISerializer } from '@opentelemetry/otlp-transformer'
import { endpointScheme } from '../../config/endpoint.js'
import type { ResolvedExporterConfig } from '../../config/options.js'
import type { ItemExporter } from '../queue-contracts.js'
import { GrpcTransport, type OtlpGrpcService } from './grpc-transport.js'
import { otlpItemExporter } from '../otlp-item-exporter.js'
import { readTlsFiles, type TlsMaterial } from '../tls-files.js'

/** The usual collector limit on a received message (the OpenTelemetry Collector's default is 4 MiB). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024

/** What differs between the OTLP/gRPC exporters of two signals (upstream passes the same to its delegate). */
export interface OtlpSignal<T> {
  service: OtlpGrpcService
  serializer: ISerializer<T[], unknown>
  metricsHelper: IExporterMetricsHelper<T[]>
  /** Upstream's self-observability component type (`otlp_grpc_span_exporter`...). */
  componentType: string
}

/**
 * OpenTelemetry JS's OTLP/gRPC exporter for one signal, assembled from its public parts as its own
 * constructors (OTLPTraceExporter, OTLPLogExporter) do, with one part replaced: the transport
 * (grpc-transport.ts says why), wrapped in the retries the OTLP specification asks for. Built from
 * the resolved configuration only: upstream's constructor would merge OTEL_EXPORTER_OTLP_* in
 * again, undoing what resolution decided (a skipped header member, say).
 *
 * TLS files are read here, at registration: an unreadable file named in the options is an error,
 * one named in the environment is a warning and is left out.
 */
export function buildOtlpGrpcExporter<T> (
  signal: OtlpSignal<T>,
  exporter: ResolvedExporterConfig,
  headers: Record<string, string>,
  exportTimeoutMillis: number,
  warn: (message: string) => void
): ItemExporter<T> {
  const scheme = endpointScheme(exporter.endpoint.value)
  const tls = scheme === 'https' || (scheme === undefined && !exporter.insecure.value)
  // The exporter reads a scheme-less endpoint as https; spell plaintext out so it cannot guess.
  const url = scheme === undefined ? `${tls ? 'https' : 'http'}://${exporter.endpoint.value}` : exporter.endpoint.value

  const metadata = new Metadata()
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value)

  const compression = exporter.compression.value
  const material = tls ? readGrpcTlsFiles(exporter, warn) : undefined
  const transport = new GrpcTransport({
    service: signal.service,
    address: new URL(url).host,
    credentials:
      material === undefined
        ? credentials.createInsecure()
        : credentials.createSsl(material.ca ?? null, material.key ?? null, material.cert ?? null),
    metadata,
    compression,
    maxRequestBytes: MAX_REQUEST_BYTES,
    ...(material === undefined ? {} : { tls: material })
  })
  return otlpItemExporter(
    exporter,
    exportTimeoutMillis,
    signal.serializer,
    createOtlpGrpcExporterMetrics<T[]>(signal.componentType, signal.metricsHelper, url, undefined),
    transport
  )
}

function readGrpcTlsFiles (exporter: ResolvedExporterConfig, warn: (message: string) => void): TlsMaterial {
  // grpc-js checks a client key and certificate when the credentials are made (a file that is
  // not PEM throws there).
  return readTlsFiles(exporter, warn, (key, cert) => sslProblem(() => credentials.createSsl(null, key, cert)))
}

function sslProblem (create: () => unknown): string | undefined {
  try {
    create()
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}
