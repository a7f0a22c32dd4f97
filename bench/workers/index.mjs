// Thread boundary: what a task costs through raw pool.run, through runInWorker carrying context
// only (an unsampled caller: nothing is recorded or relayed), and through runInWorker with the
// dispatch and task spans recorded and relayed home; the same two through a traced pool
// (createTracedPool: plain `pool.run` calls, the pool's own filename is the traced entry). Two
// views: tasks one at a time (the latency of one round trip, thread wake-ups included) and 32 in
// flight (the CPU a task costs). The variants are interleaved in blocks so drift hits them alike.
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { createTracedPool, runInWorker } from 'fastify-otel-kit/workers'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'

const taskFile = fileURLToPath(new URL('./task.mjs', import.meta.url))

export async function runWorkers ({ noopTasks, cpuTasks, pipelinedTasks, log }) {
  // The plugin's pipeline receives the relayed spans (an exporter that only counts).
  let exported = 0
  const app = Fastify()
  await app.register(otelPlugin, {
    serviceName: 'bench-workers',
    handleSignals: false,
    exporter: {
      export (spans, done) {
        exported += spans.length
        done({ code: 0 })
      },
      async shutdown () {}
    }
  })
  const pool = new Piscina({ filename: taskFile, maxThreads: 1, minThreads: 1 })
  const tracedPool = createTracedPool({ filename: taskFile, maxThreads: 1, minThreads: 1 })
  // Fixed caller contexts, so that only runInWorker's own work is measured: an unsampled caller
  // (context crosses, nothing is recorded) and a sampled one (dispatch and task spans recorded,
  // the task span relayed home and exported).
  const caller = (traceFlags) =>
    trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags,
      isRemote: false
    })
  const unsampled = caller(0)
  const sampled = caller(1)
  const variants = {
    raw: (task, name) => pool.run(task, { name }),
    'context only': (task, name) => context.with(unsampled, () => runInWorker(pool, task, { name })),
    'spans relayed': (task, name) => context.with(sampled, () => runInWorker(pool, task, { name })),
    'traced pool, context only': (task, name) => context.with(unsampled, () => tracedPool.run(task, { name })),
    'traced pool, spans relayed': (task, name) => context.with(sampled, () => tracedPool.run(task, { name }))
  }
  const results = []
  for (const [label, name, task, count] of [
    ['no-op task', 'noop', 1, noopTasks],
    ['1 ms CPU task', 'spin', { millis: 1 }, cpuTasks]
  ]) {
    const micros = Object.fromEntries(Object.keys(variants).map((v) => [v, 0]))
    // Warm-up: threads started, code loaded and optimised on both sides.
    for (const run of Object.values(variants)) for (let i = 0; i < 50; i++) await run(task, name)
    const block = 50
    for (let done = 0; done < count; done += block) {
      for (const [variant, run] of Object.entries(variants)) {
        const started = performance.now()
        for (let i = 0; i < block; i++) await run(task, name)
        micros[variant] += (performance.now() - started) * 1000
      }
    }
    results.push(summarize(label, count, micros, log))
  }
  // Pipelined: 32 no-op tasks in flight, so the figure is the CPU each task costs, not the wake-up
  // latency of one thread waiting for another.
  const inFlight = 32
  const burst = async (run, count) => {
    let started = 0
    const lane = async () => {
      while (started < count) {
        started++
        await run(1, 'noop')
      }
    }
    await Promise.all(Array.from({ length: inFlight }, lane))
  }
  const pipelined = Object.fromEntries(Object.keys(variants).map((v) => [v, 0]))
  for (const run of Object.values(variants)) await burst(run, 1000)
  for (let done = 0; done < pipelinedTasks; done += 500) {
    for (const [variant, run] of Object.entries(variants)) {
      const started = performance.now()
      await burst(run, 500)
      pipelined[variant] += (performance.now() - started) * 1000
    }
  }
  results.push(summarize(`no-op task, ${inFlight} in flight`, pipelinedTasks, pipelined, log))
  await app.otel.forceFlush()
  await pool.destroy()
  await tracedPool.destroy()
  await app.close()
  return { rows: results, spansExported: exported }
}

const round = (x) => Number(x.toFixed(2))

/** One row: microseconds per task for each variant, and the ratios and deltas against raw. */
function summarize (task, tasks, totalMicros, log) {
  const per = Object.fromEntries(Object.entries(totalMicros).map(([v, total]) => [v, total / tasks]))
  const row = {
    task,
    tasks,
    rawMicros: round(per.raw),
    contextOnlyMicros: round(per['context only']),
    relayedMicros: round(per['spans relayed']),
    contextOnlyRatio: Number((per['context only'] / per.raw).toFixed(3)),
    relayedRatio: Number((per['spans relayed'] / per.raw).toFixed(3)),
    propagationDeltaMicros: round(per['context only'] - per.raw),
    relayDeltaMicros: round(per['spans relayed'] - per.raw),
    tracedPoolContextOnlyMicros: round(per['traced pool, context only']),
    tracedPoolRelayedMicros: round(per['traced pool, spans relayed']),
    tracedPoolContextOnlyRatio: Number((per['traced pool, context only'] / per.raw).toFixed(3)),
    tracedPoolRelayedRatio: Number((per['traced pool, spans relayed'] / per.raw).toFixed(3))
  }
  log(
    `  ${task}: raw ${row.rawMicros} us, context only ${row.contextOnlyMicros} us (${row.contextOnlyRatio}x), ` +
      `relayed ${row.relayedMicros} us (${row.relayedRatio}x); ` +
      `traced pool ${row.tracedPoolContextOnlyRatio}x, ${row.tracedPoolRelayedRatio}x`
  )
  return row
}
