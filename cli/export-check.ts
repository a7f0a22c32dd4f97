import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs'
import { type ReadableSpan, TracerProvider } from '@opentelemetry/sdk-trace'
import { buildLogExporter } from '../sdk/assembly/log-exporter.js'
import { buildResource } from '../sdk/assembly/resource.js'
import { buildExporter } from '../sdk/assembly/span-exporter.js'
import { endpointScheme, redactEndpoint } from '../sdk/config/endpoint.js'
import type { ResolvedExporterConfig } from '../sdk/config/options.js'
import type { ConfigResolution } from '../sdk/config/resolve-config.js'
import type { ItemExporter } from '../sdk/export/queue-contracts.js'
import type { ResolvedConfig } from '../plugin/options.js'
import { type PortSpeaks, probePort } from './endpoint-probe.js'

export interface ExportCheckOptions {
  env: NodeJS.ProcessEnv
  pluginOptions: Record<string, unknown>
  timeoutMillis: number
  write: (line: string) => void
}

type Resolution = ConfigResolution<ResolvedConfig>

/**
 * The doctor's export checks: for each signal the package exports (spans, and log records when
 * log export is on), one real export over the configured protocol, with retries off so the answer
 * is what the collector says now. When one fails, the usual mistakes are looked for: the two OTLP
 * ports mixed up, https to a plaintext port (or the reverse), a path on a gRPC endpoint, gRPC
 * through something that speaks only HTTP/1.1.
 */
export async function checkExports (resolution: Resolution, options: ExportCheckOptions): Promise<boolean> {
  const { config } = resolution
  const signals: Array<{ name: string; exporter: ResolvedExporterConfig; send: () => Promise<ExportResult> }> = [
    { name: 'traces', exporter: config.exporter, send: () => smokeSpan(oneShot(resolution, 'traces'), options) }
  ]
  if (config.logs.enabled.value) {
    signals.push({
      name: 'logs',
      exporter: config.logs.exporter,
      send: () => smokeLog(oneShot(resolution, 'logs'), options)
    })
  }
  let healthy = true
  for (const signal of signals) {
    const { exporter } = signal
    if (exporter.kind.value !== 'otlp') {
      const why = exporter.kind.source === 'env' ? ` (${exporter.kind.env})` : ''
      const what = exporter.kind.value === 'none' ? 'export is off' : `the exporter is ${exporter.kind.value}`
      options.write(`  - ${signal.name}: ${what}${why}: no collector to check`)
      continue
    }
    const where = `${exporter.protocol.value} to ${redactEndpoint(exporter.endpoint.value)}`
    for (const note of staticMistakes(signal.name, exporter, options)) options.write(`  ! ${signal.name}: ${note}`)
    const started = performance.now()
    let result: ExportResult
    try {
      result = await signal.send()
    } catch (error) {
      // The exporter could not be built (a TLS file from the options or a file): said, not a crash.
      healthy = false
      options.write(`  ✗ ${signal.name}: ${(error as Error).message.replace(/^fastify-otel-kit: /, '')}`)
      continue
    }
    if (result.code === ExportResultCode.SUCCESS) {
      const millis = Math.round(performance.now() - started)
      const item = signal.name === 'traces' ? 'span' : 'log record'
      options.write(`  ✓ ${signal.name}: ${where} accepted a smoke ${item} in ${millis} ms`)
      continue
    }
    healthy = false
    options.write(`  ✗ ${signal.name}: export over ${where} failed: ${result.error?.message ?? 'unknown error'}`)
    const mistakes = await diagnose(exporter, options.timeoutMillis)
    for (const mistake of mistakes) options.write(`    - ${mistake}`)
    if (mistakes.length === 0) {
      options.write(
        '    Check: https:// means TLS and http:// plaintext; a private CA needs exporter.certificateFile (OTEL_EXPORTER_OTLP_CERTIFICATE);'
      )
      options.write(
        '    an API key goes in exporter.headers (OTEL_EXPORTER_OTLP_HEADERS); gRPC listens on 4317, OTLP/HTTP on 4318.'
      )
    }
  }
  return healthy
}

/** The configuration with retries off: one attempt, what the collector says now. */
function oneShot (resolution: Resolution, signal: 'traces' | 'logs'): Resolution {
  const { config } = resolution
  const noRetry = { value: false as const, source: 'default' as const }
  return {
    ...resolution,
    config:
      signal === 'traces'
        ? { ...config, exporter: { ...config.exporter, retry: noRetry } }
        : { ...config, logs: { ...config.logs, exporter: { ...config.logs.exporter, retry: noRetry } } }
  }
}

async function smokeSpan (resolution: Resolution, options: ExportCheckOptions): Promise<ExportResult> {
  const exporter = buildExporter(resolution, (message) => options.write(`  ! ${message}`))!
  const finished: ReadableSpan[] = []
  const resource = buildResource(resolution.config)
  const provider = new TracerProvider({
    resource,
    spanProcessors: [
      {
        onStart () {},
        onEnd: (span: ReadableSpan) => {
          finished.push(span)
        },
        forceFlush: async () => {},
        shutdown: async () => {}
      }
    ]
  })
  provider
    .getTracer('fastify-otel-kit-doctor')
    .startSpan('fastify-otel-kit doctor smoke test', { attributes: { 'doctor.check': 'export' } })
    .end()
  await resource.waitForAsyncAttributes?.()
  return sendOnce(exporter, finished, options.timeoutMillis)
}

async function smokeLog (resolution: Resolution, options: ExportCheckOptions): Promise<ExportResult> {
  const exporter = buildLogExporter(resolution, (message) => options.write(`  ! ${message}`))!
  const emitted: ReadableLogRecord[] = []
  const resource = buildResource(resolution.config)
  const provider = new LoggerProvider({
    resource,
    processors: [
      {
        onEmit: (record) => {
          emitted.push(record)
        },
        forceFlush: async () => {},
        shutdown: async () => {}
      }
    ]
  })
  provider.getLogger('fastify-otel-kit-doctor').emit({
    body: 'fastify-otel-kit doctor smoke test',
    severityNumber: 9,
    severityText: 'INFO',
    attributes: { 'doctor.check': 'export' }
  })
  await resource.waitForAsyncAttributes?.()
  return sendOnce(exporter, emitted, options.timeoutMillis)
}

async function sendOnce<T> (exporter: ItemExporter<T>, items: T[], timeoutMillis: number): Promise<ExportResult> {
  const result = await new Promise<ExportResult>((resolve) => {
    const timer = setTimeout(
      () => resolve({ code: ExportResultCode.FAILED, error: new Error(`no answer within ${timeoutMillis} ms`) }),
      timeoutMillis
    )
    exporter.export(items, (outcome) => {
      clearTimeout(timer)
      resolve(outcome)
    })
  })
  await exporter.shutdown().catch(() => {})
  return result
}

/** What can be seen without sending anything: a path a gRPC endpoint will not use. */
function staticMistakes (signal: string, exporter: ResolvedExporterConfig, options: ExportCheckOptions): string[] {
  if (exporter.protocol.value !== 'grpc') return []
  const raw = rawEndpoint(signal, exporter, options)
  if (raw === undefined || endpointScheme(raw) === undefined) return []
  let path: string
  try {
    path = new URL(raw).pathname
  } catch {
    return []
  }
  if (path === '/' || path === '') return []
  return [
    `the endpoint has a path (${path}), which gRPC does not use: ` +
      `requests go to ${redactEndpoint(exporter.endpoint.value)}. ` +
      'A gateway that routes by path speaks OTLP/HTTP: set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf.'
  ]
}

/** The endpoint as the user wrote it, from where the resolution took it. */
function rawEndpoint (
  signal: string,
  exporter: ResolvedExporterConfig,
  options: ExportCheckOptions
): string | undefined {
  if (exporter.endpoint.source === 'env') return options.env[exporter.endpoint.env!]?.trim()
  if (exporter.endpoint.source !== 'options') return undefined
  const otlp = options.pluginOptions.exporter as Record<string, unknown> | undefined
  const own = otlp?.[signal] as Record<string, unknown> | undefined
  const value = own?.endpoint ?? otlp?.endpoint
  return typeof value === 'string' ? value : undefined
}

/** After a failed export: what the port really speaks, against what the configuration says. */
async function diagnose (exporter: ResolvedExporterConfig, timeoutMillis: number): Promise<string[]> {
  const raw = exporter.endpoint.value
  const scheme = endpointScheme(raw)
  let url: URL
  try {
    url = new URL(scheme === undefined ? `https://${raw}` : raw)
  } catch {
    return []
  }
  const tls = scheme === 'https' || (scheme === undefined && !exporter.insecure.value)
  const port = Number(url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : url.port)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const speaks = await probePort(host, port, Math.min(timeoutMillis, 3000))
  return mistakesFor(exporter.protocol.value, tls, `${host}:${port}`, port, speaks)
}

export function mistakesFor (
  protocol: string,
  tls: boolean,
  address: string,
  port: number,
  speaks: PortSpeaks
): string[] {
  const grpc = protocol === 'grpc'
  const out: string[] = []
  const portHint =
    grpc && port === 4318
      ? ' 4318 is the OTLP/HTTP port: gRPC listens on 4317 (or set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf).'
      : !grpc && port === 4317
          ? ' 4317 is the OTLP/gRPC port: OTLP/HTTP listens on 4318 (or set OTEL_EXPORTER_OTLP_PROTOCOL=grpc).'
          : ''
  switch (speaks.kind) {
    case 'refused':
      out.push(`nothing listens on ${address} (connection refused): is the collector running, on this port?${portHint}`)
      break
    case 'unreachable':
      out.push(`${address} cannot be reached (${speaks.reason}): check the host name.`)
      break
    case 'silent':
      out.push(`${address} takes connections but answers neither TLS nor HTTP in time: a firewall, or not a collector?`)
      break
    case 'tls':
      if (!tls) out.push(`${address} speaks TLS, but the endpoint is http:// (plaintext): use https://.`)
      if (grpc && speaks.alpn !== 'h2') {
        out.push(
          `${address} does not agree to HTTP/2 over TLS (ALPN ${speaks.alpn === false ? 'none' : speaks.alpn}), ` +
            'which gRPC needs: a proxy or load balancer that speaks only HTTP/1.1, or an OTLP/HTTP port. ' +
            'Let it pass HTTP/2 (gRPC), or set ' +
            'OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf for an OTLP/HTTP endpoint.'
        )
      }
      break
    case 'h2c':
      if (tls) out.push(`${address} speaks plaintext, but the endpoint is https://: use http://.`)
      if (!grpc) {
        out.push(
          `${address} speaks only HTTP/2 without TLS: a gRPC port.` +
            (portHint || ' Set OTEL_EXPORTER_OTLP_PROTOCOL=grpc, or use the OTLP/HTTP port.')
        )
      }
      break
    case 'http1':
      if (tls) out.push(`${address} speaks plaintext, but the endpoint is https://: use http://.`)
      if (grpc) {
        out.push(
          `${address} speaks only HTTP/1.1, which gRPC cannot use: an OTLP/HTTP port, or a proxy that does not pass ` +
            `HTTP/2.${portHint || ' Set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf for OTLP/HTTP.'}`
        )
      }
      break
  }
  if (out.length === 0 && portHint !== '') out.push(portHint.trim())
  return out
}
