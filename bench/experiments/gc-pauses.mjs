// Where the pipeline's drops at a given rate come from: spans offered at RATE per second for
// SECONDS, as the pipeline bench offers them (the SDK's tracer, a batch of spans every 5 ms tick,
// the moderate preset, OTLP/gRPC to the bench's receiver in another process), with a `gc`
// observer. Prints the spans dropped, the longest gap between ticks (the generator catches up
// after a gap by offering more spans at once than the queue holds) and the collections, with
// every pause over 5 ms and when it came. Run it pinned to one core, as the bench runs:
//   npm run build && RATE=40000 taskset -c 0 node bench/experiments/gc-pauses.mjs
// `node --trace-gc` beside it says why each mark-compact came.
import Fastify from 'fastify'
import { PerformanceObserver } from 'node:perf_hooks'
import { otelPlugin } from '../../dist/plugin/index.js'
import { startNode } from '../lib/processes.mjs'
import { makeServerSpan } from '../pipeline/spans.mjs'

const RATE = Number(process.env.RATE ?? 40000)
const SECONDS = Number(process.env.SECONDS ?? 5)
const TICK_MILLIS = 5
const MARK_COMPACT = new Set([2, 4]) // perf_hooks' gc kinds: major, incremental

const receiver = startNode(new URL('../lib/receiver-process.mjs', import.meta.url).pathname, [], { core: 1 })
const { endpoint } = await receiver.next()
const collections = []
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    collections.push({ kind: entry.detail?.kind, millis: entry.duration, at: entry.startTime })
  }
}).observe({ entryTypes: ['gc'] })

const app = Fastify()
await app.register(otelPlugin, {
  serviceName: 'gc-pauses',
  handleSignals: false,
  metrics: false,
  batch: 'moderate',
  exporter: { protocol: 'grpc', endpoint }
})
const tracer = app.otel.tracer
for (let i = 0; i < 20000; i++) makeServerSpan(tracer) // warm-up
await app.otel.forceFlush()
const before = app.otel.stats()
collections.length = 0

const started = performance.now()
let made = 0
let last = started
let longestGap = 0
await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now()
    longestGap = Math.max(longestGap, now - last)
    last = now
    const elapsed = Math.min(now - started, SECONDS * 1000)
    const due = (RATE * elapsed) / 1000
    while (made < due) {
      makeServerSpan(tracer)
      made++
    }
    if (now - started >= SECONDS * 1000) resolve()
    else setTimeout(tick, TICK_MILLIS)
  }
  tick()
})
await app.otel.forceFlush()
const dropped = app.otel.stats().dropped - before.dropped
const majors = collections.filter((c) => MARK_COMPACT.has(c.kind))
const long = collections
  .filter((c) => c.millis > 5)
  .map((c) => `${Math.round(c.at - started)} ms: ${c.millis.toFixed(1)} ms`)
console.log(
  `${RATE} spans/s for ${SECONDS} s: ${made} offered, ${dropped} dropped; longest gap between ticks ` +
    `${longestGap.toFixed(1)} ms; ${collections.length} collections, ${majors.length} mark-compact ` +
    `(${majors.reduce((sum, c) => sum + c.millis, 0).toFixed(0)} ms)`
)
if (long.length > 0) console.log(`  pauses over 5 ms: ${long.join(', ')}`)
await app.close()
await receiver.stop()
