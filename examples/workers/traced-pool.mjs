// Plain pool.run calls, traced: createTracedPool (or traceWorkerPool on a pool you already have).
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { createTracedPool } from 'fastify-otel-kit/workers'

const app = Fastify()
await app.register(otelPlugin, { serviceName: 'payment-processor' })

const pool = createTracedPool({ filename: new URL('./receipt-worker.mjs', import.meta.url).href, maxThreads: 2 })
app.post('/orders/:id/receipt', async (request) => pool.run({ id: request.params.id })) // traced like runInWorker

console.log((await app.inject({ method: 'POST', url: '/orders/ord-7421/receipt' })).json())
await pool.destroy()
await app.close()
