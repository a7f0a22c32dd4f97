// Any queue: the producer sends inside a PRODUCER span and puts the carrier in the message; the
// consumer processes inside a CONSUMER span. The queue here is an array standing in for SQS, a
// database table or a broker; with one of those the two halves usually run in different processes.
import Fastify from 'fastify'
import otelPlugin, { withSpan } from 'fastify-otel-kit'
import { withConsumerSpan, withProducerSpan } from 'fastify-otel-kit/context'

const queue = [] // messages as the broker stores them: plain JSON
const emails = { system: 'in-memory', destination: 'emails' }

const app = Fastify()
await app.register(otelPlugin, { serviceName: 'payment-processor' })
app.post('/orders/:orderId', async (request) => {
  await withProducerSpan(emails, async (otel) => {
    queue.push(JSON.stringify({ orderId: request.params.orderId, otel })) // send emails
  })
  return { queued: true }
})
await app.inject({ method: 'POST', url: '/orders/ord-7421' })

// Later, in the consumer: process emails, a child of send emails, linked to it, with its queue wait.
const message = JSON.parse(queue.shift())
await withConsumerSpan(message.otel, emails, () =>
  withSpan('email.send', { 'order.id': message.orderId }, async () => {}))
await app.close() // exports POST /orders/:orderId, send emails, process emails and email.send: one trace
