// withSpan: domain spans around business logic.
import { SpanStatusCode, trace } from '@opentelemetry/api'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { withSpan } from 'fastify-otel-kit'
import { withSpan as withSpanFromContext } from 'fastify-otel-kit/context'
import { idOf, parentOf, tracedApp } from '../helpers.mjs'

class GatewayTimeoutError extends Error {
  constructor () {
    super('Gateway timeout')
    this.name = 'GatewayTimeoutError'
  }
}

test('a refund: domain span under the request span, attributes, status OK', async (t) => {
  const { app, spans } = await tracedApp(t)
  const processRefund = (orderId, amount) =>
    withSpan(
      'refund.process',
      {
        'order.id': orderId,
        'payment.amount': amount,
        'payment.currency': 'USD'
      },
      async () => ({ refunded: amount })
    )
  app.post('/refunds/:orderId', async (request) => processRefund(request.params.orderId, 49.99))
  const res = await app.inject({ method: 'POST', url: '/refunds/ord-7421' })
  assert.deepEqual(res.json(), { refunded: 49.99 })
  const all = await spans()
  const refund = all.find((s) => s.name === 'refund.process')
  assert.equal(parentOf(refund), idOf(all.find((s) => s.name === 'POST /refunds/:orderId')))
  assert.deepEqual(refund.attributes, { 'order.id': 'ord-7421', 'payment.amount': 49.99, 'payment.currency': 'USD' })
  assert.equal(refund.status.code, SpanStatusCode.OK)
})

test('an async throw: exception recorded, ERROR with a description, the same error rethrown', async (t) => {
  const { app, spans } = await tracedApp(t)
  const failure = new GatewayTimeoutError()
  let caught
  app.get('/r', async () => {
    try {
      await withSpan('refund.process', { 'order.id': 'o1' }, async () => {
        throw failure
      })
    } catch (error) {
      caught = error
    }
    return 'handled'
  })
  await app.inject({ url: '/r' })
  assert.equal(caught, failure)
  const refund = (await spans()).find((s) => s.name === 'refund.process')
  assert.deepEqual(refund.status, { code: SpanStatusCode.ERROR, message: 'Gateway timeout' })
  assert.equal(refund.attributes['error.type'], 'GatewayTimeoutError')
  assert.equal(refund.events[0].attributes['exception.type'], 'GatewayTimeoutError')
  assert.ok(refund.endTime[0] > 0)
})

test('sync functions: the value comes back as is; a sync throw is recorded and rethrown', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/s', async () => {
    const value = withSpan('compute.total', () => 40 + 2)
    assert.throws(
      () =>
        withSpan(
          'compute.fail',
          () => {
            throw new RangeError('bad amount')
          },
          undefined
        ),
      RangeError
    )
    const described = () =>
      withSpan(
        'compute.described',
        undefined,
        () => {
          throw new Error('x')
        },
        { errorDescription: () => 'Gateway timeout' }
      )
    assert.throws(described)
    return { value }
  })
  const res = await app.inject({ url: '/s' })
  assert.deepEqual(res.json(), { value: 42 })
  const all = await spans()
  assert.equal(all.find((s) => s.name === 'compute.total').status.code, SpanStatusCode.OK)
  const failed = all.find((s) => s.name === 'compute.fail')
  assert.deepEqual(failed.status, { code: SpanStatusCode.ERROR, message: 'bad amount' })
  assert.equal(failed.attributes['error.type'], 'RangeError')
  assert.equal(all.find((s) => s.name === 'compute.described').status.message, 'Gateway timeout')
})

test('nested domain spans parent on each other and the span is active inside', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/n', async () =>
    withSpanFromContext('outer', async (outer) => {
      assert.equal(trace.getActiveSpan(), outer)
      return withSpanFromContext('inner', async () => 'done')
    })
  )
  await app.inject({ url: '/n' })
  const all = await spans()
  assert.equal(parentOf(all.find((s) => s.name === 'inner')), idOf(all.find((s) => s.name === 'outer')))
})

test('no STATUS_CODE_UNSET in the refund path: every withSpan span ends with OK or ERROR', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/mixed', async () => {
    await withSpan('step.a', async () => 'a')
    await withSpan('step.b', async () => {
      throw new Error('b')
    }).catch(() => {})
    withSpan('step.c', () => 'c')
    return 'ok'
  })
  await app.inject({ url: '/mixed' })
  const steps = (await spans()).filter((s) => s.name.startsWith('step.'))
  assert.equal(steps.length, 3)
  for (const span of steps) assert.notEqual(span.status.code, SpanStatusCode.UNSET)
})
