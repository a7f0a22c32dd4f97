// The request span's lifecycle in isolation (start with the request's attributes, set the status
// code, end, queue, no-op export), made two ways on one pipeline: the package's span factory and
// SDK 3's Tracer. ns per span on the Node running it.
// `node bench/experiments/span-cost.mjs` after `npm run build`; run on each Node line.
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api'
import { assemblePipeline } from '../../dist/sdk/assembly/pipeline.js'
import { resolveSdkConfig } from '../../dist/sdk/config/resolve-config.js'
import { startFastSpan } from '../../dist/sdk/traces/span-factory.js'
import { warningsFor } from '../../dist/sdk/diagnostics/warnings.js'

const exporter = {
  export (spans, done) {
    done({ code: 0 })
  },
  async shutdown () {}
}
const resolution = resolveSdkConfig({ serviceName: 'x', exporter }, {})
const pipeline = assemblePipeline(resolution, warningsFor(undefined))
const factory = pipeline.spanFactory
const tracer = pipeline.provider.getTracer('fastify-otel-kit')
const attrs = () => ({
  'http.request.method': 'GET',
  'url.path': '/orders/42',
  'url.scheme': 'http',
  'http.route': '/orders/:id',
  'server.address': '127.0.0.1',
  'server.port': 3000,
  'client.address': '127.0.0.1',
  'user_agent.original': 'autocannon',
  'network.protocol.version': '1.1'
})
const ways = {
  'package span factory': () => startFastSpan(factory, 'GET /orders/:id', SpanKind.SERVER, attrs(), ROOT_CONTEXT),
  'SDK 3 Tracer.startSpan': () =>
    tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER, attributes: attrs() }, ROOT_CONTEXT)
}
const n = 1_000_000
const results = {}
for (let round = 0; round < 3; round++) {
  for (const [name, start] of Object.entries(ways)) {
    const one = () => {
      const span = start()
      span.setAttribute('http.response.status_code', 200)
      span.end()
    }
    for (let i = 0; i < 200_000; i++) one()
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) one()
    const ns = Number(process.hrtime.bigint() - t0) / n
    results[name] = Math.min(results[name] ?? Infinity, ns)
  }
}
for (const [name, ns] of Object.entries(results)) {
  console.log(process.version, `${name}: ${ns.toFixed(0)} ns per span (best of 3 rounds)`)
}
const t2 = process.hrtime.bigint()
for (let i = 0; i < n; i++) attrs()
console.log(
  process.version,
  'the attributes object alone:',
  (Number(process.hrtime.bigint() - t2) / n).toFixed(0),
  'ns'
)
process.exit(0)
