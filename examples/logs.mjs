// Log export: every line of the Fastify logger also goes to the collector as a log record.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'

const app = Fastify({ logger: true })
await app.register(otelPlugin, { serviceName: 'payment-processor', logs: true })

app.post('/refunds/:id', async (request) => {
  request.log.info({ orderId: request.params.id }, 'refund requested') // a record in this request's trace
  return { accepted: true }
})

await app.inject({ method: 'POST', url: '/refunds/ord-7421' })
await app.close() // flushes spans and log records
