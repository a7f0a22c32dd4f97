// Outbound calls from a handler: a CLIENT span each, the trace context injected into the request.
// The two "downstream services" are local servers this example starts itself.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { once } from 'node:events'
import { createServer, request as httpRequest } from 'node:http'

/** A downstream service that answers with the traceparent it received. */
async function downstream () {
  const server = createServer((req, res) => res.end(JSON.stringify({ traceparent: req.headers.traceparent })))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `http://127.0.0.1:${server.address().port}` }
}
const inventory = await downstream()
const ledger = await downstream()

/** Any HTTP client will do for request.otel.outbound; here node:http, resolving with the response. */
function post (url, headers) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      res.resume()
      res.on('end', () => resolve(res))
    })
    req.on('error', reject)
    req.end()
  })
}

const app = Fastify()
await app.register(otelPlugin, { serviceName: 'payment-processor' })

app.post('/refunds/:id', async (request) => {
  const res = await request.otel.fetch(`${inventory.url}/items/7`) // CLIENT span, traceparent sent
  const ok = await request.otel.outbound({ method: 'POST', url: `${ledger.url}/entries` },
    (headers) => post(`${ledger.url}/entries`, headers)) // any client: you send the headers
  return { inventory: res.status, ledger: ok.statusCode }
})

const reply = await app.inject({ method: 'POST', url: '/refunds/ord-7421' })
console.log(reply.json()) // { inventory: 200, ledger: 200 }
await app.close()
inventory.server.close()
ledger.server.close()
