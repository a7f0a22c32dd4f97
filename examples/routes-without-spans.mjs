// Requests that get no span: the ignore option, or a route's config.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'

const app = Fastify()
await app.register(otelPlugin, {
  serviceName: 'payment-processor',
  ignore: ['/health'] // paths or route templates, or (request) => boolean
})

app.get('/health', async () => 'ok')
app.get('/metrics', { config: { otel: false } }, async () => '')
app.get('/orders/:id', async (request) => ({ id: request.params.id }))

for (const url of ['/health', '/metrics', '/orders/42']) await app.inject({ url })
await app.close() // exports one span: GET /orders/:id
