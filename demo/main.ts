/**
 * `npm start`: the payment processor with tracing, log export and metrics, an embedded OTLP receiver
 * (over HTTP), a few requests (W3C context, B3 context, one that fails), then each route's request
 * count and latency percentiles from the metrics export, and every received trace as a waterfall
 * with its log lines under it.
 *
 * With OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) set, the demo exports there instead:
 * Jaeger, Tempo, an OpenTelemetry Collector.
 */
import { randomBytes } from 'node:crypto'
import { OtlpReceiver } from '../receiver/otlp-receiver.js'
import { startGateway } from './gateway.js'
import { buildPaymentService } from './payment-service.js'
import { renderLogLines, renderUntraced } from '../receiver/log-lines.js'
import { renderWaterfall } from '../receiver/waterfall.js'
import { renderRouteMetrics } from '../receiver/route-metrics.js'
import { redactEndpoint } from '../sdk/config/endpoint.js'
import { formatRouteSummary } from '../sdk/traces/route-summary-format.js'

interface DemoRequest {
  label: string
  orderId: string
  amount: number
  headers: Record<string, string>
}

async function main (): Promise<void> {
  const externalEndpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT
  const receiver = externalEndpoint === undefined ? await OtlpReceiver.start() : undefined
  const gateway = await startGateway()

  const app = await buildPaymentService({
    gatewayUrl: gateway.url,
    // The service's log lines go to the collector only (as log records), not to this terminal.
    logStream: { write () {} },
    otel: {
      handleSignals: false,
      logs: true,
      // The specification's default protocol (http/protobuf), to the receiver's OTLP/HTTP port.
      ...(receiver === undefined ? {} : { exporter: { endpoint: receiver.httpEndpoint } })
    }
  })
  const { exporter } = app.otel.config
  const where = `${exporter.protocol.value} to ${redactEndpoint(exporter.endpoint.value)}`
  console.log('fastify-otel-kit demo: payment-processor')
  if (receiver !== undefined) {
    console.log(`  exporting over ${where}, an embedded receiver`)
    console.log('  (set OTEL_EXPORTER_OTLP_ENDPOINT to send the traces to your own collector instead)')
  } else {
    console.log(`  exporting over ${where} (from the environment)`)
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const base = `http://127.0.0.1:${port}`
  console.log(`  service listening on ${base}\n`)

  const callerTraceId = randomBytes(16).toString('hex')
  const requests: DemoRequest[] = [
    {
      label: 'W3C traceparent from an upstream caller',
      orderId: 'ord-7421',
      amount: 49.99,
      headers: { traceparent: `00-${callerTraceId}-${randomBytes(8).toString('hex')}-01` }
    },
    {
      label: 'B3 headers from a Zipkin-era service',
      orderId: 'ord-1002',
      amount: 12.5,
      headers: {
        'x-b3-traceid': randomBytes(16).toString('hex'),
        'x-b3-spanid': randomBytes(8).toString('hex'),
        'x-b3-sampled': '1'
      }
    },
    { label: 'no inbound context; the gateway times out', orderId: 'ord-1009', amount: 230, headers: {} }
  ]
  for (const request of requests) {
    const res = await fetch(`${base}/refunds/${request.orderId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...request.headers },
      body: JSON.stringify({ amount: request.amount })
    })
    const body = await res.text()
    console.log(`  POST /refunds/${request.orderId}  (${request.label})  -> ${res.status} ${body.slice(0, 90)}`)
  }
  await fetch(`${base}/health`)
  console.log('  GET /health  (ignored by configuration: no trace)\n')

  const stats = app.otel.stats
  const summary = app.otel.routeSummary()
  // Closing flushes the export queue: every span is at the receiver when close resolves.
  await app.close()
  await gateway.close()
  const finalStats = stats()

  const logStats = finalStats.logs
  const summaryLines = [
    'route summary (app.otel.routeSummary(); docs/guides/where-did-the-time-go.md)',
    ...formatRouteSummary(summary).map((line) => `  ${line}`)
  ].join('\n')
  if (receiver === undefined) {
    console.log(
      `sent ${finalStats.exported} spans and ${logStats?.exported ?? 0} log records ` +
        `to ${redactEndpoint(externalEndpoint!)}; ` +
        `the first request's trace id is ${callerTraceId}`
    )
    console.log(`\n${summaryLines}`)
    return
  }
  const traces = receiver.traces()
  const logsByTrace = receiver.logsByTrace()
  console.log(
    `received ${traces.size} traces, ${receiver.spans.length} spans ` +
      `(exported ${finalStats.exported}, dropped ${finalStats.dropped}, failed ${finalStats.failed})`
  )
  console.log(
    `and ${receiver.logs.length} log records ` +
      `(exported ${logStats?.exported ?? 0}, dropped ${logStats?.dropped ?? 0}, failed ${logStats?.failed ?? 0})\n`
  )
  // Metrics are exported at close too: the request counts and latencies beside the traces.
  const routes = renderRouteMetrics(receiver.metrics)
  if (routes !== '') console.log(routes)
  for (const [traceId, spans] of traces) {
    console.log(renderWaterfall(spans) + renderLogLines(logsByTrace.get(traceId) ?? [], spans))
  }
  // Fastify writes "incoming request" before any hook runs, so before the request span starts; with
  // the preload entry, instrumentation-http's span is active by then and those lines are in the trace.
  const outside = logsByTrace.get('') ?? []
  if (outside.length > 0) console.log(renderUntraced(outside))
  console.log(summaryLines)
  await receiver.stop()
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
