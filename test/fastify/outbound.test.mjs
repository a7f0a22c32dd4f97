// Outbound calls: request.otel.inject, request.otel.fetch and request.otel.outbound.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { once } from 'node:events'
import { test } from 'node:test'
import { idOf, parentOf, sampledParent, traceOf, tracedApp } from '../helpers.mjs'

/** A plain HTTP server (not traced) that records the headers it receives. */
async function downstream (t, status = 200) {
  const received = []
  const server = createServer((req, res) => {
    received.push(req.headers)
    res.writeHead(status, { 'content-type': 'text/plain' })
    res.end('downstream says hi')
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  return { url: `http://127.0.0.1:${server.address().port}`, received }
}

test('request.otel.fetch opens a CLIENT span under the request span and sends its context', async (t) => {
  const down = await downstream(t)
  const { app, spans } = await tracedApp(t)
  app.get('/proxy', async (request) => {
    const res = await request.otel.fetch(`${down.url}/items?sig=secret&id=3`, { headers: { 'x-kept': 'yes' } })
    return res.text()
  })
  const res = await app.inject({ url: '/proxy', headers: { traceparent: sampledParent } })
  assert.equal(res.body, 'downstream says hi')
  const all = await spans()
  const server = all.find((s) => s.kind === SpanKind.SERVER)
  const client = all.find((s) => s.kind === SpanKind.CLIENT)
  assert.equal(client.name, 'GET')
  assert.equal(parentOf(client), idOf(server))
  assert.equal(traceOf(client), traceOf(server))
  assert.equal(client.attributes['http.response.status_code'], 200)
  assert.equal(client.attributes['url.full'], `${down.url}/items?sig=REDACTED&id=3`)
  assert.equal(client.attributes['server.address'], '127.0.0.1')
  const [headers] = down.received
  assert.equal(headers['x-kept'], 'yes')
  assert.equal(headers.traceparent, `00-${traceOf(server)}-${idOf(client)}-01`)
  assert.equal(headers['x-b3-spanid'], idOf(client))
})

test('request.otel.outbound works with any client; a 4xx answer marks the CLIENT span ERROR', async (t) => {
  const down = await downstream(t, 404)
  const { app, spans } = await tracedApp(t)
  app.get('/lookup', async (request) => {
    const status = await request.otel.outbound(
      { method: 'post', url: `${down.url}/lookup`, name: 'inventory.lookup' },
      async (headers) => {
        const res = await fetch(`${down.url}/lookup`, { method: 'POST', headers })
        await res.text()
        return { statusCode: res.status }
      }
    )
    return status
  })
  await app.inject({ url: '/lookup' })
  const client = (await spans()).find((s) => s.name === 'inventory.lookup')
  assert.equal(client.attributes['http.request.method'], 'POST')
  assert.equal(client.attributes['http.response.status_code'], 404)
  assert.equal(client.attributes['error.type'], '404')
  assert.equal(client.status.code, SpanStatusCode.ERROR)
  assert.ok(down.received[0].traceparent.includes(idOf(client)))
})

test('an outbound call that throws is recorded on the CLIENT span and the error reaches the ' +
  'caller unchanged', async (t) => {
  const { app, spans } = await tracedApp(t)
  const failure = new Error('connect ECONNREFUSED')
  let caught
  app.get('/broken', async (request) => {
    try {
      await request.otel.outbound({ url: 'http://127.0.0.1:1/x' }, async () => {
        throw failure
      })
    } catch (error) {
      caught = error
    }
    return 'handled'
  })
  await app.inject({ url: '/broken' })
  assert.equal(caught, failure)
  const client = (await spans()).find((s) => s.kind === SpanKind.CLIENT)
  assert.equal(client.status.code, SpanStatusCode.ERROR)
  assert.equal(client.attributes['error.type'], 'Error')
  assert.equal(client.events[0].name, 'exception')
})

test('a fetch that times out is error.type TimeoutError (the DOMException\'s name), on the span and ' +
  'in http.client.request.duration', async (t) => {
  // A downstream that answers after the caller has given up.
  const server = createServer((req, res) => setTimeout(() => res.end('late'), 500))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const url = `http://127.0.0.1:${server.address().port}/slow`
  const { app, spans } = await tracedApp(t)
  let caught
  app.get('/timeout', async (request) => {
    try {
      await request.otel.fetch(url, { signal: AbortSignal.timeout(20) })
    } catch (error) {
      caught = error
    }
    return 'gave up'
  })
  await app.inject({ url: '/timeout' })
  assert.equal(caught.constructor.name, 'DOMException')
  const client = (await spans()).find((s) => s.kind === SpanKind.CLIENT)
  assert.equal(client.attributes['error.type'], 'TimeoutError')
  assert.equal(client.status.code, SpanStatusCode.ERROR)
})

test('extract-only mode: outbound calls still get CLIENT spans but no injected headers', async (t) => {
  const down = await downstream(t)
  const { app, spans } = await tracedApp(t, { options: { extractOnly: true } })
  app.get('/proxy', async (request) => (await request.otel.fetch(down.url)).text())
  await app.inject({ url: '/proxy' })
  assert.equal(down.received[0].traceparent, undefined)
  assert.equal(down.received[0]['x-b3-traceid'], undefined)
  assert.ok((await spans()).some((s) => s.kind === SpanKind.CLIENT))
})

test('an untraced request (route opted out) calls through without spans or headers', async (t) => {
  const down = await downstream(t)
  const { app, spans } = await tracedApp(t)
  app.get('/quiet', { config: { otel: false } }, async (request) => (await request.otel.fetch(down.url)).text())
  const res = await app.inject({ url: '/quiet', headers: { traceparent: sampledParent } })
  assert.equal(res.body, 'downstream says hi')
  assert.equal(down.received[0].traceparent, undefined)
  assert.deepEqual(await spans(), [])
})

test("an outbound call made inside a domain span is that span's child, and inject() names it", async (t) => {
  const down = await downstream(t)
  const { app, spans } = await tracedApp(t)
  const { withSpan } = await import('fastify-otel-kit')
  app.get('/refund', async (request) =>
    withSpan('refund.process', async () => {
      const injected = request.otel.inject({})
      await (await request.otel.fetch(down.url)).text()
      return injected
    })
  )
  const injected = (await app.inject({ url: '/refund' })).json()
  const all = await spans()
  const refund = all.find((s) => s.name === 'refund.process')
  const client = all.find((s) => s.kind === SpanKind.CLIENT)
  assert.equal(parentOf(client), idOf(refund))
  assert.equal(injected.traceparent.split('-')[2], idOf(refund))
})
