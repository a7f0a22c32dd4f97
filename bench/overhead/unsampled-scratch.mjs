// What a traced request costs over bare Fastify, in process: a bare app and a traced one (the
// plugin, or @fastify/otel on upstream's SDK pipeline), both sampled with an exporter that only
// counts, the same route and handler as the HTTP bench's, taking turns request by request through
// app.inject(). Prints the two medians (us per request) as JSON with --json. The HTTP rows cannot
// resolve a few microseconds on a shared machine; this can (./index.mjs runs it in fresh processes).
//   npm run build && node bench/overhead/measure.mjs plugin|fastify-otel [--json]
// PLUGIN_OPTIONS (JSON) adds options to the plugin's.
import Fastify from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { counters, countingExporter, registerGlobally, sdkPipeline } from '../http/sdk-pipeline.mjs'

const setup = process.argv[2]
const REQUESTS = Number(process.env.REQUESTS ?? 40_000)
const route = async (request) => ({ id: request.params.id, ok: true })

const bare = Fastify()
const traced = Fastify()
let flushPeer = async () => {}
if (setup === 'plugin') {
  const { default: otelPlugin } = await import('fastify-otel-kit')
  // PLUGIN_OPTIONS='{"lifecycleSpans":"off"}' adds options, to see what a part costs.
  const options = {
    serviceName: 'bench',
    handleSignals: false,
    exporter: countingExporter,
    metrics: false,
    ...JSON.parse(process.env.PLUGIN_OPTIONS ?? '{}')
  }
  await traced.register(otelPlugin, options)
} else if (setup === 'fastify-otel') {
  // As the HTTP bench's fastify-otel setup: one request span, no hook or handler spans.
  const provider = sdkPipeline(countingExporter)
  registerGlobally(provider)
  flushPeer = () => provider.forceFlush()
  const { default: FastifyOtelInstrumentation } = await import('@fastify/otel')
  const instrumentation = new FastifyOtelInstrumentation({ instrumentHooks: false, instrumentHandler: false })
  instrumentation.setTracerProvider(provider)
  await traced.register(instrumentation.plugin())
} else {
  throw new Error(`unknown setup ${setup}: plugin or fastify-otel`)
}
bare.get('/orders/:id', route)
traced.get('/orders/:id', route)
await bare.ready()
await traced.ready()

const apps = [bare, traced]
const headers = process.env.UNSAMPLED ? { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' } : {}
const samples = [new Float64Array(REQUESTS), new Float64Array(REQUESTS)]
// app.inject() never gives the event loop a turn of its own: without the pauses, the queues would
// drop what their exports (which wait for a turn) cannot take.
for (let i = 0; i < 3000; i++) {
  await apps[i % 2].inject(`/orders/${i}`) // warm-up
  if (i % 400 === 399) await sleep(1)
}
for (let i = 0; i < REQUESTS; i++) {
  for (let k = 0; k < 2; k++) {
    const which = (i + k) % 2
    const start = process.hrtime.bigint()
    await apps[which].inject({ url: `/orders/${i}`, headers })
    samples[which][i] = Number(process.hrtime.bigint() - start) / 1000
  }
  if (i % 200 === 199) await sleep(1)
}
const median = (xs) => Float64Array.from(xs).sort()[xs.length >> 1]
if (setup === 'plugin') await traced.otel.forceFlush()
else await flushPeer()
const dropped = setup === 'plugin' ? traced.otel.stats().dropped : counters().dropped
const result = {
  setup,
  node: process.version,
  requests: REQUESTS,
  bareMicros: median(samples[0]),
  tracedMicros: median(samples[1]),
  dropped
}
await bare.close()
await traced.close()
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`)
else {
  console.log(
    `${setup}, Node ${process.version}, ${REQUESTS} app.inject() each: bare ${result.bareMicros.toFixed(2)} us, ` +
      `traced ${result.tracedMicros.toFixed(2)} us, +${(result.tracedMicros - result.bareMicros).toFixed(2)} us per ` +
      `request, ${dropped} spans dropped`
  )
}
