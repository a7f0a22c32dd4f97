// Runs in its own process: a collector restart of `outageMillis` (30 s by default: a rolling deploy
// of the collector), spans offered at a steady `rate` the whole time (fitting the moderate queue),
// with the plugin's defaults (retries for up to 60 s, exporter.retry.budgetMillis) and with the
// retries the package had before (5 attempts within the 30 s export timeout: a batch gave up
// about 10 s into an outage). Prints what each lost.
//   node bench/pipeline/outage.mjs [outageMillis=30000] [rate=50] [grpc|http/protobuf]
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { setTimeout as delay } from 'node:timers/promises'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { makeServerSpan } from './spans.mjs'

const outageMillis = Number(process.argv[2] ?? 30_000)
const rate = Number(process.argv[3] ?? 50)
const protocol = process.argv[4] ?? 'grpc'

async function outage (retry) {
  const receiver = await OtlpReceiver.start({ countOnly: true })
  const app = Fastify()
  await app.register(otelPlugin, {
    serviceName: 'bench-outage',
    handleSignals: false,
    metrics: false, // spans and log records are measured here; metrics have rows of their own
    shutdownTimeoutMillis: 5000,
    exporter: {
      protocol,
      endpoint: protocol === 'grpc' ? receiver.endpoint : receiver.httpEndpoint,
      ...(retry === undefined ? {} : { retry })
    },
    batch: { scheduledDelayMillis: 1000 }
  })
  const stop = new AbortController()
  const offer = (async () => {
    while (!stop.signal.aborted) {
      for (let i = 0; i < rate / 10; i++) makeServerSpan(app.otel.tracer)
      await delay(100)
    }
  })()
  await delay(2000)
  await receiver.stop()
  await delay(outageMillis)
  await receiver.restart()
  const restarted = performance.now()
  await delay(3000)
  stop.abort()
  await offer
  await app.otel.forceFlush()
  const stats = app.otel.stats()
  // The last batches after the flush: what the receiver got is what the books say was exported.
  while (receiver.spanCount < stats.exported && performance.now() - restarted < 60_000) await delay(50)
  await app.close()
  await receiver.stop()
  return {
    created: stats.created,
    exported: stats.exported,
    dropped: stats.dropped,
    failed: stats.failed,
    received: receiver.spanCount,
    retries: stats.retries
  }
}

const result = {
  node: process.version,
  protocol,
  outageMillis,
  spansPerSecond: rate,
  defaults: await outage(undefined),
  before: await outage({ maxAttempts: 5, budgetMillis: 1 })
}
process.stdout.write(`${JSON.stringify(result)}\n`)
process.exit(0)
