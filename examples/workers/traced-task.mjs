// Dispatching to a module whose task function is wrapped with tracedTask.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { Piscina } from 'piscina'
import { runInWorker } from 'fastify-otel-kit/workers'

const app = Fastify()
await app.register(otelPlugin, { serviceName: 'payment-processor' })

const pool = new Piscina({ filename: new URL('./signing-worker.mjs', import.meta.url).href })
app.post('/receipts/:id/sign', async (request) => {
  return runInWorker(pool, { id: request.params.id }, { spanName: 'receipt.sign' })
})

console.log((await app.inject({ method: 'POST', url: '/receipts/rcpt-40f6/sign' })).json())
console.log(await pool.run({ id: 'rcpt-untraced' })) // a plain run: the function runs, nothing is traced
await pool.destroy()
await app.close() // exports POST /receipts/:id/sign, worker.dispatch receipt.sign, worker.task receipt.sign
