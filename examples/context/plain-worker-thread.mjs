// The request's context into a plain worker_threads Worker: a carrier in the message.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { captureContext } from 'fastify-otel-kit/context'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'

const worker = new Worker(new URL('./plain-worker.mjs', import.meta.url))
const app = Fastify()
await app.register(otelPlugin, { serviceName: 'payment-processor' })

app.post('/reports', async (request) => {
  const job = { report: 'daily' }
  worker.postMessage({ carrier: captureContext(), job }) // { traceparent, tracestate?, baggage? }
  const [reply] = await once(worker, 'message')
  return { sameTrace: reply.traceId === request.otel.traceId }
})

console.log((await app.inject({ method: 'POST', url: '/reports' })).json()) // { sameTrace: true }
await worker.terminate()
await app.close()
