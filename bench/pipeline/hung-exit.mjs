// Runs with no arguments: how long a process lives on after app.close() returned, when the
// collector accepts connections and never answers, with OpenTelemetry JS's OTLP exporter and
// with the plugin's (upstream's exporter with the transport replaced), both at their default
// export timeout (10 s) behind the plugin's batch processor and shutdown bound (1 s here), over
// gRPC (exporter-trace-otlp-grpc) or OTLP/HTTP (exporter-trace-otlp-proto).
// Prints one JSON line.   node bench/pipeline/hung-exit.mjs [rounds=3] [grpc|http/protobuf]
// (With `child <kind> <endpoint> <protocol>` it is the process measured.)
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { median } from '../lib/processes.mjs'

if (process.argv[2] === 'child') {
  const [, , , kind, url, protocol] = process.argv
  const grpc = protocol === 'grpc'
  const { OTLPTraceExporter } = await import(
    grpc ? '@opentelemetry/exporter-trace-otlp-grpc' : '@opentelemetry/exporter-trace-otlp-proto'
  )
  const { default: Fastify } = await import('fastify')
  const { default: otelPlugin } = await import('fastify-otel-kit')
  const app = Fastify()
  const exporter =
    kind === 'upstream'
      ? new OTLPTraceExporter({ url: grpc ? url : `${url}/v1/traces` })
      : { protocol, endpoint: url, retry: false }
  await app.register(otelPlugin, {
    serviceName: 'bench-hung-exit',
    handleSignals: false,
    metrics: false, // spans and log records are measured here; metrics have rows of their own
    shutdownTimeoutMillis: 1000,
    exporter
  })
  app.otel.tracer.startSpan('hung').end()
  // The export is under way (a call the collector never answers) when close begins.
  app.otel.forceFlush().catch(() => {})
  await app.close()
  process.stdout.write('closed\n')
} else {
  const rounds = Number(process.argv[2] ?? 3)
  const protocol = process.argv[3] ?? 'grpc'
  const sockets = new Set()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${server.address().port}`
  const samples = { upstream: [], plugin: [] }
  for (let round = 0; round < rounds; round++) {
    for (const kind of ['upstream', 'plugin']) {
      const args = [fileURLToPath(import.meta.url), 'child', kind, endpoint, protocol]
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] })
      let closedAt
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line === 'closed') closedAt = performance.now()
      })
      await once(child, 'exit')
      samples[kind].push(closedAt === undefined ? null : Math.round(performance.now() - closedAt))
    }
  }
  for (const socket of sockets) socket.destroy()
  server.close()
  const result = {
    rounds,
    protocol,
    node: process.version,
    exitAfterCloseMillis: samples,
    upstreamMedian: median(samples.upstream),
    pluginMedian: median(samples.plugin)
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
