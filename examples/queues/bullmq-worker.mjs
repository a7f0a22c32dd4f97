// bullmq-worker.mjs, the BullMQ worker in a process of its own, started with the preload too:
//   OTEL_NODE_ENABLED_INSTRUMENTATIONS=pg,ioredis node --import fastify-otel-kit/register bullmq-worker.mjs
// Each job runs inside a CONSUMER span: a child of the PRODUCER span that queued it, so the order's
// request, the job and the job's own spans (the pg query, receipt.render) are one trace.
import { Worker } from 'bullmq'
import pg from 'pg'
import { withConsumerSpan, withSpan } from 'fastify-otel-kit/context'

const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const db = new pg.Pool({ connectionString: process.env.DATABASE_URL })

async function sendReceipt ({ orderId, email }) {
  await withSpan('receipt.render', { 'order.id': orderId }, async () => `Receipt for ${orderId}, to ${email}`)
  await db.query("UPDATE orders SET status = 'receipt-sent' WHERE id = $1", [orderId])
}

const worker = new Worker(
  'receipts',
  async (job) =>
    withConsumerSpan(
      job.data.otel,
      { system: 'bullmq', destination: 'receipts', messageId: job.id, enqueuedAt: job.timestamp },
      () => sendReceipt(job.data)
    ),
  { connection: { host: redis.hostname, port: Number(redis.port), maxRetriesPerRequest: null } }
)
await worker.waitUntilReady()
console.log('worker ready')

// Stop taking jobs, finish the current one; the preload flushes the spans as the process ends.
process.once('SIGTERM', async () => {
  await worker.close()
  await db.end()
})
