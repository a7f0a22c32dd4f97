// Business logic as spans of its own, with a definite status: withSpan.
import Fastify from 'fastify'
import otelPlugin, { withSpan } from 'fastify-otel-kit'

class GatewayTimeoutError extends Error {}

async function executeGatewayCall (orderId, amount) {
  if (orderId === 'ord-slow') throw new GatewayTimeoutError(`gateway timed out for ${orderId}`)
  return { orderId, amount, status: 'refunded' }
}

async function processRefund (orderId, amount) {
  return withSpan('refund.process', {
    'order.id': orderId,
    'payment.amount': amount,
    'payment.currency': 'USD'
  }, async () => executeGatewayCall(orderId, amount), {
    errorDescription: (error) => error instanceof GatewayTimeoutError ? 'Gateway timeout' : String(error)
  })
}

const app = Fastify()
await app.register(otelPlugin, { serviceName: 'payment-processor' })
app.post('/refunds/:orderId', async (request) => processRefund(request.params.orderId, 49.99))

console.log((await app.inject({ method: 'POST', url: '/refunds/ord-7421' })).statusCode) // 200, refund.process OK
console.log((await app.inject({ method: 'POST', url: '/refunds/ord-slow' })).statusCode) // 500, refund.process ERROR
await app.close()
