// How long one export takes while the server's core is saturated (-c 50), over OTLP/gRPC to a
// receiver granting HTTP/2's default 64 KiB window or a collector's (4 MiB), and over OTLP/HTTP:
// the package's own metric otel.sdk.exporter.operation.duration, read with fine buckets, and the
// spans dropped. An export that takes longer than the queue lasts (2,048 spans at the request
// rate) drops spans. Server on core 0, receiver and load on core 1 (as the HTTP bench).
//   npm run build && node bench/experiments/export-latency.mjs [seconds=8] [rounds=1]
import { quantile } from '../../dist/receiver/route-metrics.js'
import { startNode } from '../lib/processes.mjs'

const here = (path) => new URL(path, import.meta.url).pathname
const VARIANTS = [
  { name: 'OTLP/gRPC, 64 KiB window', protocol: 'grpc', window: '0' },
  { name: 'OTLP/gRPC, 4 MiB window', protocol: 'grpc', window: String(4 * 1024 * 1024) },
  { name: 'OTLP/HTTP', protocol: 'http/protobuf', window: '0' }
]
/** Bucket bounds in seconds: every 0.5 ms to 20 ms, then coarser. */
const BOUNDARIES = [
  ...Array.from({ length: 40 }, (_, i) => (i + 1) / 2000),
  0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.2, 0.5, 1
]

if (process.argv[2] === '--server') await serve(JSON.parse(process.argv[3]))
else await drive(Number(process.argv[2] ?? 8), Number(process.argv[3] ?? 1))

async function drive (seconds, rounds) {
  console.log(`export duration at -c 50, ${seconds} s per variant, ${rounds} round(s)`)
  for (let round = 1; round <= rounds; round++) {
    for (const variant of VARIANTS) {
      const receiver = startNode(here('../lib/receiver-process.mjs'), [variant.window], { core: 1 })
      const { endpoint, httpEndpoint } = await receiver.next()
      const target = variant.protocol === 'grpc' ? endpoint : httpEndpoint
      const server = startNode(here('./export-latency.mjs'), ['--server', JSON.stringify({ ...variant, target })], {
        core: 0
      })
      const { port } = await server.next()
      const url = `http://127.0.0.1:${port}/orders/42`
      const load = startNode(here('../http/load.mjs'), [url, '50', String(seconds), '{}', '2'], { core: 1 })
      await load.next()
      server.send('reset')
      await server.next()
      load.send('go')
      const { rps } = await load.next()
      await load.stop()
      server.send('report')
      const report = await server.next()
      await server.stop()
      await receiver.stop()
      console.log(
        `  ${variant.name.padEnd(26)} ${String(Math.round(rps)).padStart(6)} req/s  ` +
          `exports ${String(report.exports).padStart(4)}  p50 ${report.p50} ms  p90 ${report.p90} ms  ` +
          `dropped ${report.dropped}`
      )
    }
  }
}

async function serve ({ protocol, target }) {
  const { default: Fastify } = await import('fastify')
  const { default: otelPlugin } = await import('fastify-otel-kit')
  const { AggregationTemporality, AggregationType, MetricReader } = await import('@opentelemetry/sdk-metrics')
  const { createInterface } = await import('node:readline')
  const reader = new (class extends MetricReader {
    constructor () {
      super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA })
    }

    async onForceFlush () {}
    async onShutdown () {}
  })()
  const app = Fastify()
  await app.register(otelPlugin, {
    serviceName: 'bench',
    handleSignals: false,
    exporter: { protocol, endpoint: target },
    metrics: {
      exporter: 'none',
      runtime: false,
      readers: [reader],
      views: [
        {
          instrumentName: 'otel.sdk.exporter.operation.duration',
          aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: BOUNDARIES } }
        }
      ]
    }
  })
  app.get('/orders/:id', async (request) => ({ id: request.params.id, ok: true }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`)
  let droppedBefore = 0
  for await (const line of createInterface({ input: process.stdin })) {
    const durations = await exportDurations(reader)
    const dropped = app.otel.stats().dropped
    if (line === 'reset') {
      droppedBefore = dropped
      process.stdout.write('{}\n')
    } else if (line === 'report') {
      process.stdout.write(`${JSON.stringify({ ...durations, dropped: dropped - droppedBefore })}\n`)
    }
  }
  await app.close()
}

/**
 * Exports since the last collection, and their median and 90th percentile in ms: the receiver's
 * histogram_quantile estimate (receiver/route-metrics.ts) over the points of every attribute set.
 */
async function exportDurations (reader) {
  const { resourceMetrics } = await reader.collect()
  const metric = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === 'otel.sdk.exporter.operation.duration')
  const merged = { count: 0, bucketCounts: BOUNDARIES.map(() => 0).concat(0), explicitBounds: BOUNDARIES, max: 0 }
  for (const { value } of metric?.dataPoints ?? []) {
    merged.count += value.count
    merged.max = Math.max(merged.max, value.max ?? 0)
    value.buckets.counts.forEach((c, i) => (merged.bucketCounts[i] += c))
  }
  const ms = (q) => Number(((quantile(q, merged) ?? NaN) * 1000).toFixed(1))
  return { exports: merged.count, p50: ms(0.5), p90: ms(0.9) }
}
