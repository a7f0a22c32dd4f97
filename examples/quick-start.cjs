const Fastify = require('fastify')
const { otelPlugin } = require('fastify-otel-kit')

async function main () {
  const app = Fastify({ logger: true })
  await app.register(otelPlugin, { serviceName: 'payment-processor' })
  app.get('/orders/:id', async (request) => ({ id: request.params.id, traceId: request.otel.traceId }))
  await app.listen({ port: Number(process.env.PORT ?? 3000) })
}

main()
