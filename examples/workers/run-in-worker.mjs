// CPU work in a Piscina pool, in the request's trace: runInWorker.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { Piscina } from 'piscina'
import { runInWorker } from 'fastify-otel-kit/workers'

const app = Fastify()
await app.register(otelPlugin, { serviceName: 'payment-processor' })

const pool = new Piscina({ filename: new URL('./receipt-worker.mjs', import.meta.url).href })
app.post('/orders/:id/receipt', async (request) =>
  runInWorker(pool, { id: request.params.id }, { name: 'render' /* , signal, transferList, filename, spanName */ }))

console.log((await app.inject({ method: 'POST', url: '/orders/ord-7421/receipt' })).json())
await pool.destroy()
await app.close() // exports POST /orders/:id/receipt, worker.dispatch render, worker.task render, receipt.render
