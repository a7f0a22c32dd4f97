// A request running when close begins, from a client that keeps its connection alive (any load
// balancer): with the plugin, close ends once that request has its whole answer; without it,
// Fastify's close waits for the client to hang up (fastify/fastify#7044), which the contract test
// below holds so that plugin/keep-alive-drain.ts goes once Fastify drains such connections itself.
import { SpanKind } from '@opentelemetry/api'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import http from 'node:http'
import { test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { RecordingExporter } from '../helpers.mjs'

/** Long enough that a close waiting for it is plain: the test ends well before it. */
const KEEP_ALIVE_MILLIS = 60_000
/** How long the request runs after close begins. */
const REQUEST_MILLIS = 300

/**
 * An app listening on loopback whose /slow route answers after REQUEST_MILLIS; one request from a
 * keep-alive client, then close. Resolves with the answer's status and body, whether close had
 * ended `graceMillis` after the answer, and the exported spans.
 */
async function closeDuringRequest (t, { plugin, fastify = {}, graceMillis }) {
  const app = Fastify({ keepAliveTimeout: KEEP_ALIVE_MILLIS, ...fastify })
  // Keeps what close flushed (an in-memory exporter forgets it at shutdown).
  const exporter = new RecordingExporter()
  if (plugin) {
    await app.register(otelPlugin, { serviceName: 'draining', exporter, handleSignals: false, metrics: false })
  }
  let entered
  const inHandler = new Promise((resolve) => (entered = resolve))
  app.get('/slow', async () => {
    entered()
    await delay(REQUEST_MILLIS)
    return 'all of it'
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const agent = new http.Agent({ keepAlive: true })
  // A close still waiting when the test is over ends once the client hangs up.
  t.after(() => agent.destroy())
  const answered = new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: app.server.address().port, path: '/slow', agent }, (response) => {
        let body = ''
        response.on('data', (chunk) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode, body }))
      })
      .on('error', reject)
  })
  // Close begins once the request is being handled (before that, Fastify would answer it 503).
  await inHandler
  let closed = false
  const closing = app.close().then(() => (closed = true))
  const answer = await answered
  await delay(graceMillis)
  const closedInTime = closed
  agent.destroy()
  await closing
  return { ...answer, closedInTime, spans: exporter.spans }
}

test('with the plugin, close ends with the last request: its answer whole, its kept-alive connection closed ' +
  'after it, its span exported', async (t) => {
  const result = await closeDuringRequest(t, { plugin: true, graceMillis: 1000 })
  assert.deepEqual([result.status, result.body], [200, 'all of it'])
  assert.equal(result.closedInTime, true, 'close still waiting for the client 1 s after the last answer')
  // The request span (its slow handler has a lifecycle span of its own beside it).
  assert.deepEqual(
    result.spans.filter((span) => span.kind === SpanKind.SERVER).map((span) => span.name),
    ['GET /slow']
  )
})

test('Fastify without the plugin: close waits for a kept-alive connection whose request ran during it (when this ' +
  'fails, Fastify closes such connections itself: remove plugin/keep-alive-drain.ts)', async (t) => {
  const result = await closeDuringRequest(t, { plugin: false, graceMillis: 1000 })
  assert.deepEqual([result.status, result.body], [200, 'all of it'])
  assert.equal(result.closedInTime, false)
})

test('forceCloseConnections: false set by the application is kept: the plugin does not close its connections',
  async (t) => {
    const result = await closeDuringRequest(t, {
      plugin: true,
      fastify: { forceCloseConnections: false },
      graceMillis: 500
    })
    assert.deepEqual([result.status, result.body], [200, 'all of it'])
    assert.equal(result.closedInTime, false)
  })
