// A job queue: the producer puts a carrier in the payload, the consumer continues the trace.
// The queue here is an in-memory stand-in for BullMQ, SQS or a database table.
import Fastify from 'fastify'
import otelPlugin, { withSpan } from 'fastify-otel-kit'
import { captureContext, withContext } from 'fastify-otel-kit/context'
import { EventEmitter, once } from 'node:events'

const jobs = new EventEmitter()
const queue = { async add (name, data) { setTimeout(() => jobs.emit('job', { name, data }), 10) } }
const worker = { process (handler) { jobs.on('job', (job) => handler(job).then(() => jobs.emit('done'))) } }
const sendEmail = ({ orderId }) => withSpan('email.send', { 'order.id': orderId }, async () => {})

const app = Fastify()
await app.register(otelPlugin, { serviceName: 'payment-processor' })
app.post('/orders/:orderId', async (request) => {
  const { orderId } = request.params
  await queue.add('email', { orderId, otel: captureContext() }) // producer
  return { queued: true }
})
worker.process(async (job) => withContext(job.data.otel, () => sendEmail(job.data))) // consumer

await app.inject({ method: 'POST', url: '/orders/ord-7421' })
await once(jobs, 'done') // the job ran after the request had ended, in the request's trace
await app.close() // exports POST /orders/:orderId and email.send, its child
