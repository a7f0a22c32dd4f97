// Where the thread boundary's time goes (not a scenario of the suite; the README cites it): CPU
// time per task of the main thread (user and system) and of the other threads (the worker, GC
// helpers), read from /proc (Linux), for raw pool.run, runInWorker carrying context only, and
// runInWorker with the dispatch and task spans relayed; 32 tasks in flight, interleaved rounds.
//   node bench/workers/experiment-thread-cpu.mjs [rounds]
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { runInWorker } from 'fastify-otel-kit/workers'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'

const rounds = Number(process.argv[2] ?? 6)
const tasksPerRound = 20000
const app = Fastify()
await app.register(otelPlugin, {
  serviceName: 'bench-workers',
  handleSignals: false,
  exporter: {
    export (spans, done) {
      done({ code: 0 })
    },
    async shutdown () {}
  }
})
const pool = new Piscina({
  filename: fileURLToPath(new URL('./task.mjs', import.meta.url)),
  maxThreads: 1,
  minThreads: 1
})
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
  raw: () => pool.run(1, { name: 'noop' }),
  'context only': () => context.with(unsampled, () => runInWorker(pool, 1, { name: 'noop' })),
  'spans relayed': () => context.with(sampled, () => runInWorker(pool, 1, { name: 'noop' }))
}
/** [user, system] milliseconds of one thread (clock ticks of 10 ms). */
const cpu = (tid) => {
  const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')
  return [Number(fields[11]) * 10, Number(fields[12]) * 10]
}
const burst = async (run, count) => {
  let started = 0
  const lane = async () => {
    while (started < count) {
      started++
      await run()
    }
  }
  await Promise.all(Array.from({ length: 32 }, lane))
}
for (const run of Object.values(variants)) await burst(run, 2000)
const totals = Object.fromEntries(Object.keys(variants).map((v) => [v, { wall: 0, user: 0, system: 0, others: 0 }]))
const main = String(process.pid)
for (let round = 0; round < rounds; round++) {
  for (const [variant, run] of Object.entries(variants)) {
    const before = new Map(readdirSync('/proc/self/task').map((tid) => [tid, cpu(tid)]))
    const started = performance.now()
    await burst(run, tasksPerRound)
    totals[variant].wall += performance.now() - started
    for (const tid of readdirSync('/proc/self/task')) {
      const [user, system] = cpu(tid)
      const [user0, system0] = before.get(tid) ?? [0, 0]
      if (tid === main) {
        totals[variant].user += user - user0
        totals[variant].system += system - system0
      } else {
        totals[variant].others += user - user0 + system - system0
      }
    }
  }
}
const per = (ms) => ((ms * 1000) / (rounds * tasksPerRound)).toFixed(1)
for (const [variant, t] of Object.entries(totals)) {
  console.log(
    `${variant}: ${per(t.wall)} us per task; main thread ${per(t.user)} us user + ${per(t.system)} us system; ` +
      `other threads ${per(t.others)} us`
  )
}
await pool.destroy()
await app.close()
