// What starting a worker costs, the package's worker side loaded or not: a fresh Piscina pool of one
// thread per round, one task, the pool destroyed; CPU of the whole process (every thread) per
// round. What a pool with Piscina's default idleTimeout of 0 pays each time it starts a worker
// above minThreads again (docs/guides/workers.md, "Cost").
//   node bench/experiments/worker-start.mjs [rounds=20]
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { runInWorker } from 'fastify-otel-kit/workers'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { median } from '../lib/processes.mjs'

const rounds = Number(process.argv[2] ?? 20)
const taskFile = fileURLToPath(new URL('../workers/task.mjs', import.meta.url))

const app = Fastify()
await app.register(otelPlugin, {
  serviceName: 'worker-start',
  handleSignals: false,
  metrics: false,
  exporter: { export (spans, done) { done({ code: 0 }) }, async shutdown () {} }
})
await app.ready()
// A sampled caller: the task's span is recorded in the worker and relayed home.
const sampled = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: 1
})

const variants = {
  'pool.run, a plain task': (pool) => pool.run(1, { name: 'noop' }),
  'runInWorker, the same task (the worker side loaded)': (pool) =>
    context.with(sampled, () => runInWorker(pool, 1, { name: 'noop' }))
}

async function oneLifetime (run) {
  const before = process.cpuUsage()
  const pool = new Piscina({ filename: taskFile, minThreads: 1, maxThreads: 1 })
  await run(pool)
  await pool.destroy()
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000
}

const results = Object.fromEntries(Object.keys(variants).map((name) => [name, []]))
for (const run of Object.values(variants)) await oneLifetime(run) // warm-up
for (let i = 0; i < rounds; i++) {
  // Alternated, so that drift hits both alike.
  for (const [name, run] of Object.entries(variants)) results[name].push(await oneLifetime(run))
}
for (const [name, millis] of Object.entries(results)) {
  console.log(`${name.padEnd(54)} ${median(millis).toFixed(1)} ms of CPU per worker lifetime (median of ${rounds})`)
}
await app.close()
