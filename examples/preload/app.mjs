// app.mjs, started with the preload: node --import fastify-otel-kit/register app.mjs
// instrumentation-http and instrumentation-undici are on before Fastify loads: a plain fetch in a
// handler is a CLIENT span, and the request's SERVER span is instrumentation-http's, named by the plugin.
import { once } from 'node:events'
import { createServer } from 'node:http'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'

// A downstream service this example starts itself.
const payments = createServer((req, res) => res.end('{"authorized":true}')).listen(0, '127.0.0.1')
await once(payments, 'listening')
const paymentsUrl = `http://127.0.0.1:${payments.address().port}`

const app = Fastify({ logger: true })
await app.register(otelPlugin) // finds the preload's SDK; its SDK options come from OTEL_* variables
app.addHook('onClose', async () => payments.close())

app.post('/checkout', async () => {
  const res = await fetch(`${paymentsUrl}/authorize`, { method: 'POST' }) // traced by instrumentation-undici
  return res.json()
})

await app.listen({ port: Number(process.env.PORT ?? 3000) })
