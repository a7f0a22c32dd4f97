// Runs in its own process: for each preset, offers spans at rising rates to the plugin's own
// pipeline (batch processor + OTLP/gRPC exporter) and reports what was delivered and dropped.
//   node throughput.mjs <endpoint> <seconds> <rates-json> <presets-json>
// The receiver's count is read by the driver between steps: this process prints a line per step
// and waits for "next" on stdin.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { createInterface } from 'node:readline'
import { makeServerSpan } from './spans.mjs'

const [endpoint, seconds, ratesJson, presetsJson] = process.argv.slice(2)
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`)

for (const preset of JSON.parse(presetsJson)) {
  const app = Fastify()
  await app.register(otelPlugin, {
    serviceName: 'bench-pipeline',
    handleSignals: false,
    metrics: false, // spans and log records are measured here; metrics have rows of their own
    batch: preset,
    exporter: { protocol: 'grpc', endpoint }
  })
  const tracer = app.otel.tracer
  for (const rate of JSON.parse(ratesJson)) {
    await app.otel.forceFlush()
    const before = app.otel.stats()
    say({ preset, rate, ready: true })
    await lines.next()
    const durationMillis = Number(seconds) * 1000
    const started = performance.now()
    let made = 0
    // Offer spans on a 5 ms tick, catching up with the schedule: rate x elapsed time.
    await new Promise((resolve) => {
      const tick = () => {
        const elapsed = performance.now() - started
        const due = Math.min((rate * Math.min(elapsed, durationMillis)) / 1000, (rate * durationMillis) / 1000)
        while (made < due) {
          makeServerSpan(tracer)
          made++
        }
        if (elapsed >= durationMillis) resolve()
        else setTimeout(tick, 5)
      }
      tick()
    })
    const offeredFor = (performance.now() - started) / 1000
    await app.otel.forceFlush()
    const after = app.otel.stats()
    say({
      preset,
      rate,
      made,
      offeredPerSecond: Math.round(made / offeredFor),
      exported: after.exported - before.exported,
      dropped: after.dropped - before.dropped,
      failed: after.failed - before.failed
    })
    await lines.next()
  }
  await app.close()
}
say({ done: true })
