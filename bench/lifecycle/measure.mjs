// What lifecycle timing costs a traced request where nothing is slow, in process: one app, one
// route per mode (config.otel overrides the plugin's default, 'slow'), the same handler as the
// HTTP bench's, requests made with app.inject(). The modes take turns request by request (the
// order rotating), so that garbage collection, another process taking the core or a slower phase
// of the machine falls on all of them alike; each request is timed on its own and each mode's
// median and trimmed mean (the slowest 2 % left out) are reported, with the difference to 'off'.
// inject() itself costs far more than the timing does: read the differences. `npm run bench` runs
// it in fresh processes, a pair of modes each (./index.mjs); by hand:
//   npm run build && MODES=off,slow node bench/lifecycle/measure.mjs [--json]
// FOK_DIST=<dist folder of another build> measures that build instead (its routes all take its
// own default), e.g. main before lifecycle timing, for "today": run both one after the other.
import Fastify from 'fastify'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const dist = process.env.FOK_DIST ?? new URL('../../dist', import.meta.url).pathname
const { otelPlugin } = createRequire(import.meta.url)(join(dist, 'plugin', 'index.js'))
const REQUESTS = Number(process.env.REQUESTS ?? 60_000)

const exporter = {
  export (spans, done) {
    done({ code: 0 })
  },
  async shutdown () {}
}
const app = Fastify()
await app.register(otelPlugin, {
  serviceName: 'bench',
  handleSignals: false,
  exporter,
  metrics: false,
  // Large enough that no span is dropped between the exports (dropping would be cheaper).
  batch: { maxQueueSize: 65536, maxExportBatchSize: 4096, scheduledDelayMillis: 1 }
})
const route = async (request) => ({ id: request.params.id, ok: true })
// MODES=off,slow leaves 'all' out: its extra spans' garbage would fall on the other modes' requests
// too, which matters when comparing against another build's process.
const modes = (process.env.MODES ?? 'off,slow,all').split(',')
// A trailing digit names a second route of the same mode (MODES=off,off2: what two routes of one
// mode differ by, the measurement's own floor).
for (const mode of modes) {
  app.get(`/${mode}/:id`, { config: { otel: { lifecycleSpans: mode.replace(/\d+$/, '') } } }, route)
}
await app.ready()

const samples = new Map(modes.map((m) => [m, new Float64Array(REQUESTS)]))
for (let i = 0; i < 3000; i++) await app.inject(`/${modes[i % modes.length]}/1`) // warm-up
for (let i = 0; i < REQUESTS; i++) {
  for (let k = 0; k < modes.length; k++) {
    const mode = modes[(i + k) % modes.length]
    const start = process.hrtime.bigint()
    await app.inject(`/${mode}/${i}`)
    samples.get(mode)[i] = Number(process.hrtime.bigint() - start) / 1000
  }
  if (i % 500 === 499) await sleep(1) // the batch processor's timer exports what was queued
}
const sorted = (xs) => Float64Array.from(xs).sort()
const median = (xs) => sorted(xs)[xs.length >> 1]
const trimmedMean = (xs) => {
  const s = sorted(xs).subarray(0, Math.floor(xs.length * 0.98))
  return s.reduce((a, b) => a + b, 0) / s.length
}
const figures = Object.fromEntries(
  modes.map((mode) => {
    const taken = samples.get(mode)
    return [mode, { medianMicros: median(taken), trimmedMeanMicros: trimmedMean(taken) }]
  })
)
const stats = app.otel.stats()
await app.close()
if (process.argv.includes('--json')) {
  const result = { node: process.version, requests: REQUESTS, modes: figures, spans: stats }
  process.stdout.write(`${JSON.stringify(result)}\n`)
} else {
  const us = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)} us`
  console.log(`Node ${process.version}, ${dist === process.env.FOK_DIST ? dist : 'this build'}: ` +
    `${REQUESTS} app.inject() per mode, taking turns`)
  const off = figures.off
  for (const mode of modes) {
    const { medianMicros: m, trimmedMeanMicros: t } = figures[mode]
    const versus = mode === 'off' || off === undefined
      ? ''
      : `  (against 'off': median ${us(m - off.medianMicros)}, trimmed mean ${us(t - off.trimmedMeanMicros)})`
    console.log(`  lifecycleSpans '${mode}': median ${m.toFixed(2)} us, trimmed mean ${t.toFixed(2)} us${versus}`)
  }
  console.log(`  spans: ${stats.created} created, ${stats.dropped} dropped`)
}
