import { ExportDetails, renderSpanAttributes } from '../receiver/export-details.js'
import type { DecodedItems, ExportSource, ReceivedLogRecord, ReceivedSpan } from '../receiver/otlp-receiver.js'
import { renderRouteMetrics } from '../receiver/route-metrics.js'
import { OtlpReceiver } from '../receiver/otlp-receiver.js'
import { renderLogLines } from '../receiver/log-lines.js'
import { renderWaterfall } from '../receiver/waterfall.js'

export interface ReceiveOptions {
  host: string
  grpcPort: number
  httpPort: number
  /** A trace is printed once no span or record of it has arrived for this long. */
  quietMillis: number
  /** Listen over TLS with this certificate and key; `clientCa`: require client certificates it signed. */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer }
  /** Also each span's attributes, each resource and the names of the headers exports came with. */
  details?: boolean
  write: (text: string) => void
}

/**
 * How long a trace holding only log records so far waits for its spans: a service sends records
 * within 1 s and spans within 5 s (the two queues' default delays), so a shorter wait printed
 * every trace twice, its records alone and then its spans without them.
 */
const LOG_ONLY_QUIET_MILLIS = 6000

/** The most traces waiting to be printed: past it the oldest is printed as it is. */
const MAX_PENDING_TRACES = 1000
const SEVERITY = ['', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']

interface PendingTrace {
  spans: ReceivedSpan[]
  logs: ReceivedLogRecord[]
  timer: NodeJS.Timeout
}

/**
 * `fastify-otel-kit receive`: the package's OTLP receiver on local ports (gRPC and HTTP, protobuf
 * and JSON), printing what arrives as the demo does: each trace as a waterfall once it has been
 * quiet for a moment, its log records under it, records outside any trace as they come. A way to
 * see a service's telemetry with no backend. Resolves with a stop function (Ctrl-C calls it).
 */
export async function startReceive (options: ReceiveOptions): Promise<{ stop: () => Promise<void> }> {
  const { write } = options
  const pending = new Map<string, PendingTrace>()
  const details = options.details === true ? new ExportDetails() : undefined
  let metrics = 0

  const print = (traceId: string): void => {
    const trace = pending.get(traceId)
    if (trace === undefined) return
    clearTimeout(trace.timer)
    pending.delete(traceId)
    // Records of a trace whose spans went elsewhere (or have not come) are still shown.
    const body = trace.spans.length > 0 ? renderWaterfall(trace.spans) : `trace ${traceId}  (log records only)\n`
    const attributes = details === undefined ? '' : renderSpanAttributes(trace.spans)
    write(`${body}${attributes}${renderLogLines(trace.logs, trace.spans)}\n`)
  }
  const add = (traceId: string, item: { span?: ReceivedSpan; log?: ReceivedLogRecord }): void => {
    let trace = pending.get(traceId)
    if (trace === undefined) {
      if (pending.size >= MAX_PENDING_TRACES) print(pending.keys().next().value!)
      trace = { spans: [], logs: [], timer: setTimeout(() => {}, 0) }
      pending.set(traceId, trace)
    }
    if (item.span !== undefined) trace.spans.push(item.span)
    if (item.log !== undefined) trace.logs.push(item.log)
    clearTimeout(trace.timer)
    const quiet = trace.spans.length > 0 ? options.quietMillis : Math.max(options.quietMillis, LOG_ONLY_QUIET_MILLIS)
    trace.timer = setTimeout(() => print(traceId), quiet)
  }
  const onReceive = (decoded: DecodedItems, from: ExportSource): void => {
    if (details !== undefined) {
      const resources = new Set(decoded.items.map((item) => item.resource))
      write(details.describeExport(decoded.signal, [...resources], from))
    }
    if (decoded.signal === 'traces') for (const span of decoded.items) add(span.traceId, { span })
    if (decoded.signal === 'logs') {
      for (const log of decoded.items) {
        if (log.traceId === '') write(untraced(log))
        else add(log.traceId, { log })
      }
    }
    if (decoded.signal === 'metrics') {
      metrics += decoded.items.length
      const services = [...new Set(decoded.items.map((m) => String(m.resource['service.name'] ?? 'unknown service')))]
      const names = decoded.items.map((m) => m.name).join(', ')
      write(`${decoded.items.length} metric(s) from ${services.join(', ')}: ${names}\n`)
      // The HTTP metrics' values, as the demo shows them: requests, status and latency per route.
      const routes = renderRouteMetrics(decoded.items)
      if (routes !== '') write(routes)
    }
  }

  const receiver = await OtlpReceiver.start({
    host: options.host,
    port: options.grpcPort,
    httpPort: options.httpPort,
    retain: false,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    onReceive
  })
  const shown = options.host.includes(':') ? `[${options.host}]` : options.host
  // Over TLS the service checks the certificate's names: localhost is the one to use on this machine.
  const local = options.host === '0.0.0.0' || options.host === '::' || options.tls !== undefined ? 'localhost' : shown
  const scheme = options.tls === undefined ? 'http' : 'https'
  const trust =
    options.tls === undefined
      ? ''
      : '  TLS: set OTEL_EXPORTER_OTLP_CERTIFICATE to the CA that signed --tls-cert' +
        (options.tls.clientCa === undefined
          ? ''
          : ', and OTEL_EXPORTER_OTLP_CLIENT_KEY with OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE ' +
            '(signed by --tls-client-ca)') +
        '\n'
  write(
    'fastify-otel-kit receive: printing what arrives over OTLP\n' +
      `  OTLP/HTTP (protobuf, JSON) on ${shown}:${receiver.httpPort}: OTEL_EXPORTER_OTLP_ENDPOINT=${scheme}://${local}:${receiver.httpPort}\n` +
      `  OTLP/gRPC on ${shown}:${receiver.port}: OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=${scheme}://${local}:${receiver.port}\n` +
      trust +
      '  Ctrl-C stops.\n\n'
  )
  return {
    stop: async () => {
      await receiver.stop()
      for (const traceId of [...pending.keys()]) print(traceId)
      write(
        `received ${receiver.spanCount} span(s), ${receiver.logCount} log record(s)` +
          `${metrics > 0 ? `, ${receiver.metricCount} metric(s)` : ''}\n`
      )
    }
  }
}

function untraced (record: ReceivedLogRecord): string {
  const severity = (SEVERITY[Math.ceil(record.severityNumber / 4)] ?? '?').padEnd(5)
  const service = String(record.resource['service.name'] ?? 'unknown service')
  return `log ${severity} ${service}  ${String(record.body ?? '')}  (outside any trace)\n`
}
