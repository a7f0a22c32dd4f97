// fastify-otel-kit/context: carriers, scoped and explicit activation, and the boundary patterns
// (plain worker_threads, job queues) documented in the README.
import { context, diag, DiagLogLevel, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { attach, captureContext, contextFromCarrier, detach, withContext } from 'fastify-otel-kit/context'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import { idOf, parentOf, traceOf, tracedApp } from '../helpers.mjs'

const activeSpanId = () => trace.getActiveSpan()?.spanContext().spanId

/** Collects diag warnings (the plugin routes diag into its log only when nobody else listens). */
function diagWarnings (t) {
  const warnings = []
  diag.setLogger(
    { error () {}, warn: (m) => warnings.push(m), info () {}, debug () {}, verbose () {} },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true }
  )
  t.after(() => diag.disable())
  return warnings
}

test('captureContext gives a plain W3C + baggage carrier that survives JSON and structured clone', async (t) => {
  // The service speaks B3 over HTTP; carriers still use the one fixed internal format.
  await tracedApp(t, { options: { propagators: ['b3'] } })
  const withBaggage = propagation.setBaggage(
    ROOT_CONTEXT,
    propagation.createBaggage({ tenant: { value: 'acme corp' } })
  )
  await context.with(withBaggage, () =>
    trace.getTracer('t').startActiveSpan('producer', async (span) => {
      const carrier = captureContext()
      assert.deepEqual(Object.keys(carrier).sort(), ['baggage', 'traceparent'])
      assert.equal(carrier.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`)
      for (const copy of [JSON.parse(JSON.stringify(carrier)), structuredClone(carrier)]) {
        const restored = contextFromCarrier(copy)
        assert.equal(trace.getSpanContext(restored).spanId, span.spanContext().spanId)
        assert.equal(propagation.getBaggage(restored).getEntry('tenant').value, 'acme corp')
      }
      span.end()
    })
  )
  assert.deepEqual(captureContext(ROOT_CONTEXT), {})
})

test('withContext activates, returns what fn returns, and restores the previous context (also on throw)', async (t) => {
  await tracedApp(t)
  await trace.getTracer('t').startActiveSpan('outer', async (outer) => {
    const carrier = await trace.getTracer('t').startActiveSpan('captured', (captured) => {
      captured.end()
      return captureContext()
    })
    const inner = withContext(carrier, () => activeSpanId())
    assert.equal(inner, carrier.traceparent.split('-')[2])
    assert.equal(activeSpanId(), outer.spanContext().spanId)
    assert.throws(
      () =>
        withContext(carrier, () => {
          throw new Error('boom')
        }),
      /boom/
    )
    assert.equal(activeSpanId(), outer.spanContext().spanId)
    const later = await withContext(carrier, async () => {
      await nextTurn()
      return activeSpanId()
    })
    assert.equal(later, inner)
    await assert.rejects(
      withContext(carrier, async () => {
        await nextTurn()
        throw new Error('async boom')
      }),
      /async boom/
    )
    assert.equal(activeSpanId(), outer.spanContext().spanId)
    // A Context object is accepted as well as a carrier.
    assert.equal(
      withContext(ROOT_CONTEXT, () => activeSpanId()),
      undefined
    )
    outer.end()
  })
})

test('attach and detach: explicit activation restores exactly what was active before', async (t) => {
  await tracedApp(t)
  const a = { traceparent: `00-${'a'.repeat(32)}-${'1'.repeat(16)}-01` }
  const b = { traceparent: `00-${'b'.repeat(32)}-${'2'.repeat(16)}-01` }
  assert.equal(activeSpanId(), undefined)
  const tokenA = attach(a)
  assert.equal(activeSpanId(), '1'.repeat(16))
  const tokenB = attach(b)
  assert.equal(activeSpanId(), '2'.repeat(16))
  detach(tokenB)
  assert.equal(activeSpanId(), '1'.repeat(16))
  detach(tokenA)
  assert.equal(activeSpanId(), undefined)
})

test('detaching twice or out of order is reported and never corrupts the active context', async (t) => {
  await tracedApp(t)
  const warnings = diagWarnings(t)
  const a = attach({ traceparent: `00-${'a'.repeat(32)}-${'1'.repeat(16)}-01` })
  const b = attach({ traceparent: `00-${'b'.repeat(32)}-${'2'.repeat(16)}-01` })
  detach(a)
  // Out of order: b is still attached, so b stays active.
  assert.equal(activeSpanId(), '2'.repeat(16))
  detach(b)
  // a was already detached: detaching b goes straight back to what was active before a.
  assert.equal(activeSpanId(), undefined)
  detach(b)
  assert.equal(activeSpanId(), undefined)
  detach('not a token')
  assert.equal(warnings.length, 3)
  assert.match(warnings[0], /detach out of order/)
  assert.match(warnings[1], /detach called twice/)
  assert.match(warnings[2], /needs the token that attach returned/)
})

test('a malformed carrier yields the empty context and never throws', async (t) => {
  await tracedApp(t)
  const malformed = [
    null,
    undefined,
    42,
    'traceparent',
    [],
    () => {},
    { traceparent: 12 },
    { traceparent: ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'] },
    { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
    { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01' },
    { traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01' },
    { traceparent: 'x'.repeat(10_000) },
    { baggage: 'k=' + 'v'.repeat(20_000) },
    { tracestate: {}, baggage: 7 }
  ]
  for (const carrier of malformed) {
    const restored = contextFromCarrier(carrier)
    assert.equal(trace.getSpanContext(restored), undefined, JSON.stringify(carrier)?.slice(0, 60))
    assert.equal(propagation.getBaggage(restored), undefined)
    assert.equal(
      withContext(carrier, () => activeSpanId()),
      undefined
    )
  }
})

test('plain worker_threads: send captureContext() with the message, restore with withContext ' +
  'in the worker', async (t) => {
  await tracedApp(t)
  const worker = new Worker(new URL('../fixtures/raw-thread.mjs', import.meta.url))
  t.after(() => worker.terminate())
  const withBaggage = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ tenant: { value: 'acme' } }))
  const sent = await context.with(withBaggage, () =>
    trace.getTracer('t').startActiveSpan('resize-image', (span) => {
      worker.postMessage({ carrier: captureContext(), job: 'thumb-1' })
      span.end()
      return span.spanContext()
    })
  )
  const [reply] = await once(worker, 'message')
  assert.deepEqual(reply, {
    job: 'thumb-1',
    traceId: sent.traceId,
    parentSpanId: sent.spanId,
    tenant: 'acme',
    activeAfterwards: null
  })
})

test('job queue: the carrier travels in the JSON payload and the consumer continues the trace', async (t) => {
  const { spans } = await tracedApp(t)
  const queue = []
  // Producer: inside a request-like span, enqueue a job with the carrier in its payload.
  trace.getTracer('shop').startActiveSpan('checkout', (span) => {
    queue.push(JSON.stringify({ orderId: 'o-9', otel: captureContext() }))
    span.end()
  })
  // Consumer, later and elsewhere (no active context here).
  await nextTurn()
  assert.equal(trace.getActiveSpan(), undefined)
  const job = JSON.parse(queue.shift())
  await withContext(job.otel, () =>
    trace.getTracer('jobs').startActiveSpan('email.send', async (span) => {
      span.setAttribute('order.id', job.orderId)
      span.end()
    })
  )
  const all = await spans()
  const checkout = all.find((s) => s.name === 'checkout')
  const email = all.find((s) => s.name === 'email.send')
  assert.equal(traceOf(email), traceOf(checkout))
  assert.equal(parentOf(email), idOf(checkout))
})
