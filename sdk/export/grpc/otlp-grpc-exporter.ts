import { type ChannelCredentials, credentials, Metadata } from '@grpc/grpc-js'
import { createOtlpNetworkExportDelegate, OTLPExporterBase } from '@opentelemetry/otlp-exporter-base'
import { createOtlpGrpcExporterMetrics } from '@opentelemetry/otlp-grpc-exporter-base'
import type { IExporterMetricsHelper, ISerializer } from '@opentelemetry/otlp-transformer'
import { endpointScheme } from '../../config/endpoint.js'
import type { ResolvedExporterConfig } from '../../config/options.js'
import type { ItemExporter } from '../batch-queue.js'
import { GrpcTransport, type OtlpGrpcService } from './grpc-transport.js'
import { DEFAULT_RETRY_POLICY } from '../../config/retry-policy.js'
import { RetryingExporter } from '../retrying-exporter.js'
import { readTlsFiles } from '../tls-files.js'

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
  const transport = new GrpcTransport({
    service: signal.service,
    address: new URL(url).host,
    credentials: tls
      ? sslCredentials(exporter, warn)
      : credentials.createInsecure(),
    metadata,
    compression,
    maxRequestBytes: MAX_REQUEST_BYTES
  })
  const delegate = createOtlpNetworkExportDelegate(
    // One export at a time is the batch processor's rule; the delegate's limit is a backstop.
    { timeoutMillis: exporter.timeoutMillis.value, concurrencyLimit: 2, compression },
    signal.serializer,
    createOtlpGrpcExporterMetrics<T[]>(signal.componentType, signal.metricsHelper, url, undefined),
    transport
  )
  const upstream = new OTLPExporterBase<T[]>(delegate)
  const otlp: ItemExporter<T> = {
    export: (items, done) => upstream.export(items, done),
    forceFlush: () => upstream.forceFlush(),
    // Upstream's delegate waits for the sends under way before it shuts its transport down: with a
    // collector that never answers, that is the rest of the export timeout, and the open call keeps
    // the process alive. Shut first, they fail at once (CANCELLED); the queue has given up on them.
    shutdown: async () => {
      transport.shutdown()
      await upstream.shutdown()
    }
  }
  const retry = exporter.retry.value
  if (retry === false) return otlp
  return new RetryingExporter<T>(
    otlp,
    { ...DEFAULT_RETRY_POLICY, ...retry },
    {
      exportTimeoutMillis,
      attemptTimeoutMillis: exporter.timeoutMillis.value
    }
  )
}

function sslCredentials (exporter: ResolvedExporterConfig, warn: (message: string) => void): ChannelCredentials {
  // grpc-js checks a client key and certificate when the credentials are made (a file that is
  // not PEM throws there).
  const tls = readTlsFiles(exporter, warn, (key, cert) => sslProblem(() => credentials.createSsl(null, key, cert)))
  return credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null)
}

function sslProblem (create: () => unknown): string | undefined {
  try {
    create()
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}
