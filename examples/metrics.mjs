// Metrics, on by default: the HTTP server metrics from each request's span, the SDK's health and the
// runtime's go over OTLP to the spans' collector, and the global MeterProvider is the plugin's.
import { metrics } from '@opentelemetry/api'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'

const app = Fastify()
await app.register(otelPlugin, { serviceName: 'payment-processor' })

// Instruments of your own, made after the plugin registered (or under the preload).
const refunds = metrics.getMeter('payments').createCounter('payments.refunds', { unit: '{refund}' })

app.post('/refunds/:id', async () => {
  refunds.add(1, { reason: 'duplicate' })
  return { accepted: true }
})

await app.inject({ method: 'POST', url: '/refunds/ord-7421' })
await app.otel.forceFlush() // a collection now, rather than at the next interval (60 s). With no collector listening
// it rejects after the export timeout (30 s) for the spans still being retried (FOK_ERR_FLUSH_INCOMPLETE); a metric
// export that failed is no rejection: stats().metrics.failed counts its points
console.log(`metric data points exported: ${app.otel.stats().metrics.exported}`)
await app.close() // exports the last collection
