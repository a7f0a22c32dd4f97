// The plugin's request span lifecycle in isolation (build with attributes, end, queue, no-op export):
// ns per span on the Node running it. `node bench/experiments/span-cost.mjs` after `npm run build`.
// end, queue. Run on each Node version.
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api'
import { assemblePipeline } from '../../dist/sdk/assembly/pipeline.js'
import { resolveSdkConfig } from '../../dist/sdk/config/resolve-config.js'
import { startFastSpan } from '../../dist/sdk/spans/span-factory.js'
import { warningsFor } from '../../dist/sdk/diagnostics/warnings.js'

const exporter = { export (spans, done) { done({ code: 0 }) }, async shutdown () {} }
const resolution = resolveSdkConfig({ serviceName: 'x', exporter }, {})
const pipeline = assemblePipeline(resolution, warningsFor(undefined))
const factory = pipeline.spanFactory
const attrs = () => ({ 'http.request.method': 'GET', 'url.path': '/orders/42', 'url.scheme': 'http', 'http.route': '/orders/:id', 'server.address': '127.0.0.1', 'server.port': 3000, 'client.address': '127.0.0.1', 'user_agent.original': 'autocannon', 'network.protocol.version': '1.1' })
function one () {
  const span = startFastSpan(factory, 'GET /orders/:id', SpanKind.SERVER, attrs(), ROOT_CONTEXT)
  span.setAttribute('http.response.status_code', 200)
  span.end()
}
for (let i = 0; i < 200000; i++) one()
const n = 1_000_000
const t0 = process.hrtime.bigint()
for (let i = 0; i < n; i++) one()
const t1 = process.hrtime.bigint()
console.log(process.version, 'span start+attrs+end+queue:', Number(t1 - t0) / n, 'ns')
const t2 = process.hrtime.bigint()
for (let i = 0; i < n; i++) attrs()
const t3 = process.hrtime.bigint()
console.log(process.version, 'attributes object alone:', Number(t3 - t2) / n, 'ns')
process.exit(0)
