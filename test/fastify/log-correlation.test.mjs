// Log lines written through request.log during a traced request carry trace_id, span_id, trace_flags.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { INBOUND_TRACE_ID, idOf, sampledParent, tracedApp, unsampledParent } from '../helpers.mjs'

test("request.log lines (and Fastify's own request completed line) carry the trace fields", async (t) => {
  const { app, logs, spanNamed } = await tracedApp(t)
  app.addHook('preHandler', async (request) => {
    request.log.info('checking stock')
  })
  app.get('/orders/:id', async (request) => {
    request.log.info({ orderId: request.params.id }, 'loading order')
    return 'ok'
  })
  await app.inject({ url: '/orders/9', headers: { traceparent: sampledParent } })
  const span = await spanNamed('GET /orders/:id')
  const correlated = logs.lines.filter((l) => ['checking stock', 'loading order', 'request completed'].includes(l.msg))
  assert.equal(correlated.length, 3)
  for (const line of correlated) {
    assert.equal(line.trace_id, INBOUND_TRACE_ID)
    assert.equal(line.span_id, idOf(span))
    assert.equal(line.trace_flags, '01')
  }
  assert.equal(correlated[1].orderId, '9')
})

test('an unsampled request still correlates its logs, with trace_flags 00', async (t) => {
  const { app, logs } = await tracedApp(t)
  app.get('/x', async (request) => {
    request.log.info('unsampled line')
    return 'ok'
  })
  await app.inject({ url: '/x', headers: { traceparent: unsampledParent } })
  const line = logs.lines.find((l) => l.msg === 'unsampled line')
  assert.equal(line.trace_id, INBOUND_TRACE_ID)
  assert.match(line.span_id, /^[0-9a-f]{16}$/)
  assert.equal(line.trace_flags, '00')
})

test('logCorrelation: false leaves the log lines alone', async (t) => {
  const { app, logs } = await tracedApp(t, { options: { logCorrelation: false } })
  app.get('/x', async (request) => {
    request.log.info('plain line')
    return 'ok'
  })
  await app.inject({ url: '/x' })
  const line = logs.lines.find((l) => l.msg === 'plain line')
  assert.equal(line.trace_id, undefined)
})
