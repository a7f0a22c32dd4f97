// The request span ends when the response has really finished, or when the client aborted.
import { SpanStatusCode } from '@opentelemetry/api'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { ns, serve, tracedApp, untilSpans } from '../helpers.mjs'

// Span durations are measured on the monotonic clock, so the tests compare intervals measured
// with performance.now(): "the span lasted at least from its first hook to the last chunk".
const now = () => performance.now()
const millisToNs = (ms) => BigInt(Math.floor(ms * 1e6))

test('a streamed body: the span ends after the last chunk was written, not at onSend', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  let onRequestAt
  let onSendAt
  let lastChunkAt
  app.addHook('onRequest', async () => {
    onRequestAt = now()
  })
  app.addHook('onSend', async (request, reply, payload) => {
    onSendAt = now()
    return payload
  })
  app.get('/export.csv', async (request, reply) => {
    let sent = 0
    const body = new Readable({
      read () {
        // Chunks a few milliseconds apart: the response takes a while to finish after onSend.
        setTimeout(() => {
          if (sent === 5) {
            lastChunkAt = now()
            this.push(null)
            return
          }
          this.push(`row ${sent++}\n`)
        }, 2)
      }
    })
    return reply.type('text/csv').send(body)
  })
  const res = await app.inject({ url: '/export.csv' })
  assert.equal(res.body.split('\n').length, 6)
  const span = await spanNamed('GET /export.csv')
  assert.ok(ns(span.duration) >= millisToNs(lastChunkAt - onRequestAt), 'span ended before the stream finished')
  assert.ok(lastChunkAt > onSendAt)
  assert.equal(span.attributes['http.response.status_code'], 200)
})

test('server-sent events on a hijacked reply: the span covers the whole stream', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  let startedAt
  let endedAt
  app.get('/events', (request, reply) => {
    startedAt = now()
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
    let n = 0
    const tick = () => {
      if (n === 3) {
        endedAt = now()
        reply.raw.end()
        return
      }
      reply.raw.write(`data: ${n++}\n\n`)
      setTimeout(tick, 5)
    }
    tick()
  })
  const base = await serve(app)
  const res = await fetch(`${base}/events`)
  assert.equal(await res.text(), 'data: 0\n\ndata: 1\n\ndata: 2\n\n')
  const span = await spanNamed('GET /events')
  assert.ok(ns(span.duration) >= millisToNs(endedAt - startedAt), 'span ended before the event stream finished')
})

test('a client that disconnects mid-stream: the span ends, marked ERROR as aborted', async (t) => {
  const { app, exporter } = await tracedApp(t)
  let firstChunkSent
  const firstChunk = new Promise((resolve) => {
    firstChunkSent = resolve
  })
  app.get('/feed', (request, reply) => {
    // An endless stream: only the client going away can end this response.
    const body = new Readable({
      read () {
        setImmediate(() => {
          this.push('tick\n')
          firstChunkSent()
        })
      }
    })
    reply.send(body)
  })
  const base = await serve(app)
  const client = httpRequest(`${base}/feed`)
  client.on('response', async (res) => {
    res.once('data', async () => {
      await firstChunk
      client.destroy()
    })
  })
  client.on('error', () => {})
  client.end()
  const spans = await untilSpans(app, exporter, (all) => all.some((s) => s.name === 'GET /feed'))
  const span = spans.find((s) => s.name === 'GET /feed')
  assert.equal(span.status.code, SpanStatusCode.ERROR)
  assert.equal(span.status.message, 'Client aborted the request')
  assert.equal(span.attributes['error.type'], 'aborted')
  assert.equal(span.attributes['http.response.status_code'], 200)
  assert.ok(span.events.some((e) => e.name === 'http.request.aborted'))
})

test('a client that disconnects before the handler replies: the span ends as aborted', async (t) => {
  const { app, exporter } = await tracedApp(t)
  let handlerEntered
  const entered = new Promise((resolve) => {
    handlerEntered = resolve
  })
  let releaseHandler
  const release = new Promise((resolve) => {
    releaseHandler = resolve
  })
  app.get('/slow', async () => {
    handlerEntered()
    await release
    return 'late'
  })
  const base = await serve(app)
  const client = httpRequest(`${base}/slow`)
  client.on('error', () => {})
  client.end()
  await entered
  client.destroy()
  const spans = await untilSpans(app, exporter, (all) => all.some((s) => s.name === 'GET /slow'))
  releaseHandler()
  const span = spans.find((s) => s.name === 'GET /slow')
  assert.equal(span.status.code, SpanStatusCode.ERROR)
  assert.equal(span.attributes['http.response.status_code'], undefined)
  assert.equal(span.attributes['error.type'], 'aborted')
})
