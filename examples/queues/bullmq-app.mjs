// bullmq-app.mjs, a Fastify service that queues a receipt job for each order, started with the preload:
//   OTEL_NODE_ENABLED_INSTRUMENTATIONS=http,pg,ioredis node --import fastify-otel-kit/register bullmq-app.mjs
// Each job is sent inside a PRODUCER span whose context travels in the job's data.
import Fastify from 'fastify'
import otelPlugin, { withProducerSpan } from 'fastify-otel-kit'
import { Queue } from 'bullmq'
import pg from 'pg'

const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const db = new pg.Pool({ connectionString: process.env.DATABASE_URL })
await db.query('CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY, status text, email text)')
const receipts = new Queue('receipts', { connection: { host: redis.hostname, port: Number(redis.port) } })

const app = Fastify({ logger: true })
await app.register(otelPlugin) // finds the preload's SDK
app.addHook('onClose', async () => {
  await receipts.close()
  await db.end()
})

app.post('/orders/:orderId', async (request, reply) => {
  const { orderId } = request.params
  const email = 'ann@example.com' // stands for the customer's data: it goes into the job, never into a span
  await db.query("INSERT INTO orders VALUES ($1, 'paid', $2) ON CONFLICT (id) DO NOTHING", [orderId, email])
  await withProducerSpan({ system: 'bullmq', destination: 'receipts' }, async (otel, span) => {
    const job = await receipts.add('receipt', { orderId, email, otel }) // otel: the carrier
    span.setAttribute('messaging.message.id', job.id)
  })
  return reply.code(202).send({ queued: orderId })
})

await app.listen({ port: Number(process.env.PORT ?? 3000) })
