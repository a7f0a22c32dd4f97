import { type ChannelCredentials, credentials, Metadata } from '@grpc/grpc-js'
import { createOtlpNetworkExportDelegate, OTLPExporterBase } from '@opentelemetry/otlp-exporter-base'
import { createOtlpGrpcExporterMetrics } from '@opentelemetry/otlp-grpc-exporter-base'
import { ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer'
import { ConsoleSpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { readFileSync } from 'node:fs'
import { endpointScheme } from '../config/endpoint.js'
import { tlsFile } from '../errors.js'
import { GrpcTransport } from './grpc-transport.js'
import { DEFAULT_RETRY_POLICY, RetryingExporter } from './retrying-exporter.js'

/** The usual collector limit on a received message (the OpenTelemetry Collector's default is 4 MiB). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024
import type { Setting } from '../config/options.js'
import type { ConfigResolution } from '../config/resolve-config.js'

/**
 * The exporter the resolved configuration asks for; undefined for `none`. TLS files are read
 * here, at registration: an unreadable file named in the options is an error, one named in the
 * environment is a warning and is left out.
 */
export function buildExporter (resolution: ConfigResolution, warn: (message: string) => void): SpanExporter | undefined {
  const exporter = resolution.config.exporter
  switch (exporter.kind.value) {
    case 'custom': return resolution.exporterInstance
    case 'none': return undefined
    case 'console': return new ConsoleSpanExporter()
    case 'otlp-grpc': break
  }
  const scheme = endpointScheme(exporter.endpoint.value)
  const tls = scheme === 'https' || (scheme === undefined && !exporter.insecure.value)
  // The exporter reads a scheme-less endpoint as https; spell plaintext out so it cannot guess.
  const url = scheme === undefined ? `${tls ? 'https' : 'http'}://${exporter.endpoint.value}` : exporter.endpoint.value

  const metadata = new Metadata()
  for (const [key, value] of Object.entries(resolution.exporterHeaders)) metadata.set(key, value)

  // OpenTelemetry JS's OTLP/gRPC trace exporter, assembled from its public parts as its own
  // constructor does, with one part replaced: the transport (grpc-transport.ts says why). Built from
  // the resolved configuration only: upstream's constructor would merge OTEL_EXPORTER_OTLP_* in
  // again, undoing what resolution decided (a skipped header member, say).
  const compression = exporter.compression.value
  const transport = new GrpcTransport({
    address: new URL(url).host,
    credentials: tls
      ? sslCredentials(exporter.certificateFile, exporter.clientKeyFile, exporter.clientCertificateFile, warn)
      : credentials.createInsecure(),
    metadata,
    compression,
    maxRequestBytes: MAX_REQUEST_BYTES
  })
  const delegate = createOtlpNetworkExportDelegate(
    // One export at a time is the batch processor's rule; the delegate's limit is a backstop.
    { timeoutMillis: exporter.timeoutMillis.value, concurrencyLimit: 2, compression },
    ProtobufTraceSerializer,
    createOtlpGrpcExporterMetrics<ReadableSpan[]>('otlp_grpc_span_exporter', TraceExporterMetricsHelper, url, undefined),
    transport
  )
  const otlp = new OTLPExporterBase<ReadableSpan[]>(delegate)
  const retry = exporter.retry.value
  if (retry === false) return otlp
  return new RetryingExporter(otlp, { ...DEFAULT_RETRY_POLICY, ...retry }, {
    exportTimeoutMillis: resolution.config.batch.exportTimeoutMillis.value,
    attemptTimeoutMillis: exporter.timeoutMillis.value
  })
}

function sslCredentials (
  ca: Setting<string | undefined>,
  key: Setting<string | undefined>,
  cert: Setting<string | undefined>,
  warn: (message: string) => void
): ChannelCredentials {
  const caPem = readPem('exporter.certificateFile', ca, warn)
  let keyPem = readPem('exporter.clientKeyFile', key, warn)
  let certPem = readPem('exporter.clientCertificateFile', cert, warn)
  if ((keyPem === undefined) !== (certPem === undefined)) {
    keyPem = undefined
    certPem = undefined
  }
  // grpc-js checks a client key and certificate when the credentials are made (a file that is
  // not PEM throws here): from the environment that is a warning, never a failed registration.
  if (keyPem !== undefined && certPem !== undefined) {
    const problem = sslProblem(() => credentials.createSsl(null, keyPem!, certPem!))
    if (problem !== undefined) {
      if (key.source !== 'env' && cert.source !== 'env') throw tlsFile('exporter.clientKeyFile', key.value!, `with exporter.clientCertificateFile, not a usable key and certificate: ${problem}`)
      const names = [key, cert].map((s) => (s.source === 'env' ? s.env : `option exporter.${s === key ? 'clientKeyFile' : 'clientCertificateFile'}`))
      warn(`${names.join(' and ')} name files that are not a usable key and certificate (${problem}); exporting without a client certificate.`)
      keyPem = undefined
      certPem = undefined
    }
  }
  return credentials.createSsl(caPem ?? null, keyPem ?? null, certPem ?? null)
}

function sslProblem (create: () => unknown): string | undefined {
  try {
    create()
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

function readPem (key: string, setting: Setting<string | undefined>, warn: (message: string) => void): Buffer | undefined {
  if (setting.value === undefined) return undefined
  try {
    return readFileSync(setting.value)
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    if (setting.source !== 'env') throw tlsFile(key, setting.value, reason)
    warn(`${setting.env} names ${JSON.stringify(setting.value)}, which cannot be read (${reason}); exporting without it.`)
    return undefined
  }
}
