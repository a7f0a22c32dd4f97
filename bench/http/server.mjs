// One HTTP server setup for the overhead benchmark, in its own process (pinned by the driver).
//   node bench/http/server.mjs <setup>
// Prints {"port": n} when listening. On stdin "stats" it flushes and prints {"ended", "exported",
// "dropped"} (spans), then keeps serving; it exits when stdin closes.
import { createInterface } from 'node:readline'
import { counters, countingExporter, otlpExporter, registerGlobally, sdkPipeline } from './sdk-pipeline.mjs'

const setup = process.argv[2]
const route = async (request) => ({ id: request.params.id, ok: true })
let stats = async () => ({ ended: 0, exported: 0, dropped: 0 })
let app

if (setup === 'bare') {
  const { default: Fastify } = await import('fastify')
  app = Fastify()
} else if (
  [
    'off',
    'unsampled',
    'sampled',
    'otlp',
    'otlp-http',
    'unsampled-metrics',
    'sampled-metrics',
    'sampled-metrics-runtime',
    'lifecycle-off',
    'lifecycle-all'
  ].includes(setup)
) {
  if (setup === 'off') process.env.OTEL_SDK_DISABLED = 'true'
  const { default: Fastify } = await import('fastify')
  const { default: otelPlugin } = await import('fastify-otel-kit')
  const { MetricReader } = await import('@opentelemetry/sdk-metrics')
  app = Fastify()
  await app.register(otelPlugin, {
    serviceName: 'bench',
    handleSignals: false,
    // "otlp" and "otlp-http" export to the receiver the driver started; the others to an exporter
    // that only counts.
    exporter:
      setup === 'otlp'
        ? { protocol: 'grpc', endpoint: process.env.BENCH_OTLP_ENDPOINT }
        : setup === 'otlp-http'
          ? { protocol: 'http/protobuf', endpoint: process.env.BENCH_OTLP_HTTP_ENDPOINT }
          : countingExporter,
    // The tracing rows keep metrics off (as they were measured before metrics existed); the
    // "-metrics" rows record them into a reader the run never collects (a periodic export every
    // 60 s would not come within a measurement anyway): the request metrics alone, or with the
    // runtime's (event loop, GC and heap), as metrics are by default.
    metrics: setup.includes('metrics')
      ? {
          exporter: 'none',
          readers: [new (class extends MetricReader { async onForceFlush () {} async onShutdown () {} })()],
          runtime: setup.endsWith('-runtime')
        }
      : false,
    // "sampled" runs the default lifecycle timing (slow); these two the other modes, on the same route
    // (where nothing is slow: the default adds no span, "all" adds the handler's).
    ...(setup === 'lifecycle-off' ? { lifecycleSpans: 'off' } : {}),
    ...(setup === 'lifecycle-all' ? { lifecycleSpans: 'all' } : {})
  })
  stats = async () => {
    await app.otel.forceFlush()
    const s = app.otel.stats()
    return { ended: s.created, exported: s.exported, dropped: s.dropped, failed: s.failed }
  }
} else if (setup === 'preload') {
  // Started by the driver with `--import fastify-otel-kit/register` (instrumentation-http and
  // instrumentation-undici on, the SDK from the environment: OTLP to the loopback receiver); the
  // plugin registered as usual makes instrumentation-http's span its request span.
  const { default: Fastify } = await import('fastify')
  const { default: otelPlugin } = await import('fastify-otel-kit')
  app = Fastify()
  await app.register(otelPlugin, { handleSignals: false })
  stats = async () => {
    await app.otel.forceFlush()
    const s = app.otel.stats()
    return { ended: s.created, exported: s.exported, dropped: s.dropped, failed: s.failed }
  }
} else if (setup.startsWith('fastify-otel')) {
  // @fastify/otel on the same SDK settings: resource, parent-based sampler, default batch, and a no-op
  // exporter or upstream's OTLP exporter (-grpc, -http) to the driver's receiver.
  // Like for like: one request span, as the plugin makes (no hook or handler spans).
  const provider = sdkPipeline(await otlpExporter(setup))
  registerGlobally(provider)
  const { default: FastifyOtelInstrumentation } = await import('@fastify/otel')
  const instrumentation = new FastifyOtelInstrumentation({ instrumentHooks: false, instrumentHandler: false })
  instrumentation.setTracerProvider(provider)
  const { default: Fastify } = await import('fastify')
  app = Fastify()
  await app.register(instrumentation.plugin())
  stats = async () => {
    await provider.forceFlush()
    return counters()
  }
} else if (setup.startsWith('http-instrumentation')) {
  // The auto-instrumentation route: instrumentation-http on the current line, enabled before
  // fastify is loaded (as a preload would), on the same SDK settings. (instrumentation-fastify,
  // archived upstream in March 2026, is no longer a peer: @fastify/otel is its successor.)
  const provider = sdkPipeline(await otlpExporter(setup))
  registerGlobally(provider)
  const { registerInstrumentations } = await import('@opentelemetry/instrumentation')
  const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http')
  registerInstrumentations({ instrumentations: [new HttpInstrumentation()] })
  const { createRequire } = await import('node:module')
  const Fastify = createRequire(import.meta.url)('fastify')
  app = Fastify()
  stats = async () => {
    await provider.forceFlush()
    return counters()
  }
} else {
  throw new Error(`unknown setup ${setup}`)
}

app.get('/orders/:id', route)
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`)

const lines = createInterface({ input: process.stdin })
lines.on('line', async (line) => {
  if (line.trim() === 'stats') process.stdout.write(`${JSON.stringify(await stats())}\n`)
})
lines.on('close', async () => {
  await app.close()
  process.exit(0)
})
