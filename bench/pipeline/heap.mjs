// Runs with --expose-gc: the heap retained by a full export queue, per preset. The exporter never
// answers and the schedule delay is long, so every span made stays queued (or in the one batch
// handed to the exporter).
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { setImmediate as turn } from 'node:timers/promises'
import { makeServerSpan } from './spans.mjs'

/** The heap after collecting; finalizers and weak references are cleared between turns. */
async function heapUsed () {
  for (let i = 0; i < 4; i++) {
    global.gc()
    await turn()
  }
  return process.memoryUsage().heapUsed
}

const presets = { conservative: 512, moderate: 2048, aggressive: 8192 }
const results = []
async function pipeline (preset, held) {
  const app = Fastify()
  await app.register(otelPlugin, {
    serviceName: 'bench-heap',
    handleSignals: false,
    metrics: false, // spans and log records are measured here; metrics have rows of their own
    shutdownTimeoutMillis: 100,
    batch: { preset, scheduledDelayMillis: 3_600_000 },
    exporter: {
      export (spans) {
        held.push(spans)
      },
      async shutdown () {}
    }
  })
  return app
}

for (const [preset, queue] of Object.entries(presets)) {
  // Warm-up in a pipeline of its own (code paths and object shapes), so the measured one starts empty.
  const warm = await pipeline(preset, [])
  for (let i = 0; i < 200; i++) makeServerSpan(warm.otel.tracer)
  await warm.close()
  const held = []
  const app = await pipeline(preset, held)
  const before = await heapUsed()
  for (let i = 0; i < queue; i++) makeServerSpan(app.otel.tracer)
  const after = await heapUsed()
  const retained = app.otel.stats().queued + held.reduce((n, batch) => n + batch.length, 0)
  results.push({
    preset,
    queue,
    retainedSpans: retained,
    bytesPerSpan: Math.round((after - before) / retained),
    fullQueueMegabytes: Number(((after - before) / 1e6).toFixed(1))
  })
  await app.close()
}
process.stdout.write(`${JSON.stringify(results)}\n`)
