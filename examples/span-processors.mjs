// Span processors of your own: enrich every span, and send a copy to a second backend.
// The second backend here is a local HTTP server this example starts, counting what it receives.
import { once } from 'node:events'
import { createServer } from 'node:http'
import { propagation } from '@opentelemetry/api'
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'

let received = 0
const secondBackend = createServer((req, res) => { received++; req.resume(); req.on('end', () => res.end('{}')) })
secondBackend.listen(0, '127.0.0.1')
await once(secondBackend, 'listening')
const secondBackendUrl = `http://127.0.0.1:${secondBackend.address().port}/v1/traces`

/** Copies the caller's `tenant.id` baggage entry onto every span. */
const tenantProcessor = {
  onStart (span, parentContext) {
    const tenant = propagation.getBaggage(parentContext)?.getEntry('tenant.id')
    if (tenant !== undefined) span.setAttribute('tenant.id', tenant.value)
  },
  onEnd () {},
  forceFlush: async () => {},
  shutdown: async () => {}
}

const app = Fastify()
await app.register(otelPlugin, {
  serviceName: 'payment-processor',
  spanProcessors: [
    tenantProcessor,
    new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: secondBackendUrl }) })
  ]
})
app.get('/orders/:id', async (request) => ({ id: request.params.id }))

await app.inject({ url: '/orders/42', headers: { baggage: 'tenant.id=acme' } })
await app.close() // flushes both: the plugin's pipeline and the second BatchSpanProcessor
console.log(`second backend: ${received} export request(s)`) // 1
secondBackend.close()
if (received !== 1) process.exitCode = 1
