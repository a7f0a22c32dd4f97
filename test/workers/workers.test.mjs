// Traces across the thread boundary, on real Piscina pools with real worker threads.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { createTracedPool, runInWorker, traceWorkerPool } from 'fastify-otel-kit/workers'
import { tracedTask } from 'fastify-otel-kit/workers/task'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { idOf, ns, parentOf, sampledParent, traceOf, tracedApp, unsampledParent } from '../helpers.mjs'

const plainWorker = fileURLToPath(new URL('../fixtures/plain-worker.mjs', import.meta.url))
const explicitWorker = fileURLToPath(new URL('../fixtures/explicit-worker.mjs', import.meta.url))
const explicitCjsWorker = fileURLToPath(new URL('../fixtures/explicit-worker.cjs', import.meta.url))

function pool (t, options = {}) {
  const p = new Piscina({ filename: plainWorker, maxThreads: 2, ...options })
  t.after(() => p.destroy())
  return p
}

/** Runs `fn` inside an active span named `name` and ends it afterwards. */
function inSpan (name, fn) {
  return trace.getTracer('test').startActiveSpan(name, async (span) => {
    try {
      return await fn(span)
    } finally {
      span.end()
    }
  })
}

test('Fastify end to end: request span -> dispatch span -> task span -> spans made in the ' +
  'worker, one trace', async (t) => {
  const workers = pool(t)
  const { app, spans } = await tracedApp(t, { options: { serviceName: 'receipts-service' } })
  app.post('/orders/:id/receipt', async (request) => runInWorker(workers, { id: request.params.id }))
  const res = await app.inject({ method: 'POST', url: '/orders/42/receipt', headers: { traceparent: sampledParent } })
  assert.equal(res.statusCode, 200)
  const seen = res.json()
  const all = await spans()
  const byName = (name) => all.find((s) => s.name === name)
  const request = byName('POST /orders/:id/receipt')
  const dispatch = byName('worker.dispatch plain-worker')
  const task = byName('worker.task plain-worker')
  const render = byName('receipt.render')
  const hash = byName('receipt.hash')
  assert.equal(parentOf(dispatch), idOf(request))
  assert.equal(parentOf(task), idOf(dispatch))
  assert.equal(parentOf(render), idOf(task))
  assert.equal(parentOf(hash), idOf(render))
  for (const span of [dispatch, task, render, hash]) assert.equal(traceOf(span), traceOf(request))
  // The worker saw its own span active, and the main thread exported the worker's spans with the
  // service's resource, tagged with the worker's thread.
  assert.equal(seen.spanId, idOf(render))
  assert.notEqual(seen.threadId, 0)
  for (const span of [task, render, hash]) {
    assert.equal(span.resource.attributes['service.name'], 'receipts-service')
    assert.equal(span.attributes['thread.id'], seen.threadId)
  }
  assert.equal(render.attributes['order.id'], '42')
  assert.equal(dispatch.attributes['thread.id'], seen.threadId)
  assert.equal(dispatch.kind, SpanKind.INTERNAL)
  assert.equal(dispatch.status.code, SpanStatusCode.OK)
  assert.equal(task.status.code, SpanStatusCode.OK)
})

test('worker spans lie inside their dispatch span, with no negative gaps', async (t) => {
  const workers = pool(t, { maxThreads: 1 })
  const { spans } = await tracedApp(t)
  await inSpan('batch', () => Promise.all(Array.from({ length: 6 }, (_, i) => runInWorker(workers, { id: i }))))
  const all = await spans()
  const dispatches = all.filter((s) => s.name.startsWith('worker.dispatch'))
  assert.equal(dispatches.length, 6)
  for (const dispatch of dispatches) {
    const task = all.find((s) => parentOf(s) === idOf(dispatch))
    const inside = [task, ...all.filter((s) => parentOf(s) === idOf(task))]
    for (const span of inside) {
      assert.ok(ns(span.startTime) >= ns(dispatch.startTime), `${span.name} starts before its dispatch`)
      assert.ok(ns(span.endTime) <= ns(dispatch.endTime), `${span.name} ends after its dispatch`)
    }
  }
})

test('an explicit tracedTask module (ESM) and a named CommonJS export work, ' +
  'also with a per-task filename', async (t) => {
  const workers = pool(t, { filename: explicitWorker })
  const { spans } = await tracedApp(t)
  const results = await inSpan('parent', async (parent) => ({
    parent: parent.spanContext().traceId,
    esm: await runInWorker(workers, { amount: 21 }),
    cjs: await runInWorker(workers, { text: 'abc' }, { filename: explicitCjsWorker, name: 'checksum' })
  }))
  assert.deepEqual(results.esm, { doubled: 42, traceId: results.parent })
  assert.deepEqual(results.cjs, { sum: 294, traceId: results.parent })
  const names = (await spans()).map((s) => s.name).sort()
  assert.deepEqual(names, [
    'ledger.checksum',
    'ledger.write',
    'parent',
    'worker.dispatch checksum',
    'worker.dispatch explicit-worker',
    'worker.task checksum',
    'worker.task explicit-worker'
  ])
})

test('a tracedTask module still answers a plain pool.run, untraced', async (t) => {
  const workers = pool(t, { filename: explicitWorker })
  assert.deepEqual(await workers.run({ amount: 5 }), { doubled: 10, traceId: null })
})

test('a pool made with createTracedPool (or wrapped with traceWorkerPool) traces plain pool.run calls', async (t) => {
  const traced = createTracedPool({ filename: plainWorker, maxThreads: 1 })
  t.after(() => traced.destroy())
  const wrapped = traceWorkerPool(pool(t, { maxThreads: 1 }))
  assert.equal(traceWorkerPool(wrapped), wrapped)
  const { spans } = await tracedApp(t)
  const seen = await inSpan('caller', async (caller) => ({
    caller: caller.spanContext().traceId,
    created: await traced.run({ id: 'a' }),
    wrapped: await wrapped.run({ waitMillis: 0 }, { name: 'observeAfter' })
  }))
  assert.equal(seen.created.traceId, seen.caller)
  assert.equal(seen.wrapped.traceId, seen.caller)
  const all = await spans()
  assert.ok(all.some((s) => s.name === 'worker.task observeAfter'))
  assert.ok(all.some((s) => s.name === 'receipt.render'))
})

test('no leakage with concurrentTasksPerWorker > 1: each task sees only its own context', async (t) => {
  const workers = pool(t, { maxThreads: 1, concurrentTasksPerWorker: 8 })
  await tracedApp(t)
  const waits = [9, 2, 7, 0, 5, 3, 8, 1]
  const outcomes = await Promise.all(
    waits.map((waitMillis) =>
      inSpan(`caller-${waitMillis}`, async (caller) => {
        const seen = await runInWorker(workers, { waitMillis }, { name: 'observeAfter' })
        return { expected: caller.spanContext().traceId, seen }
      })
    )
  )
  for (const { expected, seen } of outcomes) assert.equal(seen.traceId, expected)
  assert.equal(new Set(outcomes.map((o) => o.seen.threadId)).size, 1)
})

test('no leakage on a reused worker in atomics sync mode, even after a task attached without detaching', async (t) => {
  const workers = pool(t, { maxThreads: 1, atomics: 'sync' })
  await tracedApp(t)
  const leaked = await inSpan('leaky', () => runInWorker(workers, {}, { name: 'leakContext' }))
  const next = await inSpan('next', async (span) => ({
    expected: span.spanContext().traceId,
    seen: await runInWorker(workers, {}, { name: 'observeNow' })
  }))
  assert.equal(next.seen.threadId, leaked.threadId)
  assert.equal(next.seen.traceId, next.expected)
  // Dispatched with no active context: the task is in a new trace of its own (not the leaked one,
  // not the last task's).
  const orphan = await context.with(ROOT_CONTEXT, () => runInWorker(workers, {}, { name: 'observeNow' }))
  assert.equal(orphan.threadId, leaked.threadId)
  assert.notEqual(orphan.traceId, null)
  assert.notEqual(orphan.traceId, 'f'.repeat(32))
  assert.notEqual(orphan.traceId, next.expected)
})

test('nothing lost: spans arrive although the pool destroys the worker right after the task', async (t) => {
  const { spans } = await tracedApp(t)
  for (const atomics of ['sync', 'async', 'disabled']) {
    const workers = new Piscina({ filename: plainWorker, maxThreads: 1, idleTimeout: 0, atomics })
    await inSpan(`caller-${atomics}`, () => runInWorker(workers, { id: atomics }))
    await workers.destroy()
  }
  const all = await spans()
  assert.equal(all.filter((s) => s.name === 'receipt.render').length, 3)
  assert.equal(all.filter((s) => s.name === 'receipt.hash').length, 3)
  assert.equal(all.filter((s) => s.name.startsWith('worker.task')).length, 3)
})

test('a throwing task rejects with the same error as pool.run; dispatch and task spans are ERROR', async (t) => {
  const workers = pool(t)
  const { spans } = await tracedApp(t)
  const plainError = await workers.run({ message: 'card declined' }, { name: 'fail' }).catch((error) => error)
  const tracedError = await inSpan('pay', () =>
    runInWorker(workers, { message: 'card declined' }, { name: 'fail' })
  ).catch((error) => error)
  assert.equal(tracedError.constructor, plainError.constructor)
  assert.equal(tracedError.name, plainError.name)
  assert.equal(tracedError.message, plainError.message)
  assert.deepEqual(Object.keys(tracedError).sort(), Object.keys(plainError).sort())
  assert.equal(tracedError.code, plainError.code)
  const all = await spans()
  for (const name of ['worker.dispatch fail', 'worker.task fail']) {
    const span = all.find((s) => s.name === name)
    assert.equal(span.status.code, SpanStatusCode.ERROR, name)
    assert.equal(span.status.message, 'card declined')
    assert.ok(
      span.events.some((e) => e.name === 'exception'),
      name
    )
  }
  assert.equal(all.find((s) => s.name === 'worker.task fail').attributes['error.type'], 'PaymentDeclinedError')
  // Spans made before the throw are not lost.
  assert.ok(all.some((s) => s.name === 'before.failure'))
})

test('an aborted task rejects as Piscina does and the dispatch span records the abort', async (t) => {
  const workers = pool(t, { maxThreads: 1 })
  const { spans } = await tracedApp(t)
  const plain = new AbortController()
  const plainRun = workers.run({ millis: 2000 }, { name: 'spin', signal: plain.signal })
  plain.abort()
  const plainError = await plainRun.catch((error) => error)
  const traced = new AbortController()
  const tracedError = await inSpan('cancelled', () => {
    const running = runInWorker(workers, { millis: 2000 }, { name: 'spin', signal: traced.signal })
    traced.abort()
    return running
  }).catch((error) => error)
  assert.equal(tracedError.name, plainError.name)
  assert.equal(tracedError.message, plainError.message)
  const dispatch = (await spans()).find((s) => s.name === 'worker.dispatch spin')
  assert.equal(dispatch.status.code, SpanStatusCode.ERROR)
  assert.ok(dispatch.events.some((e) => e.name === 'worker.task.aborted'))
})

test('an unsampled caller: no recorded spans anywhere, but the trace id, flag and baggage cross', async (t) => {
  const workers = pool(t)
  const { app, spans } = await tracedApp(t)
  app.get('/r', async () => runInWorker(workers, { id: 'u' }))
  const res = await app.inject({ url: '/r', headers: { traceparent: unsampledParent, baggage: 'tenant=acme' } })
  const seen = res.json()
  assert.equal(seen.traceId, unsampledParent.split('-')[1])
  assert.equal(seen.sampled, false)
  assert.deepEqual(seen.baggage, { tenant: 'acme' })
  assert.deepEqual(await spans(), [])
})

test('baggage crosses into the worker for a sampled caller too', async (t) => {
  const workers = pool(t)
  await tracedApp(t)
  const withBaggage = propagation.setBaggage(context.active(), propagation.createBaggage({ region: { value: 'eu' } }))
  const seen = await context.with(withBaggage, () =>
    inSpan('caller', () => runInWorker(workers, {}, { name: 'observeNow' }))
  )
  assert.deepEqual(seen.baggage, { region: 'eu' })
  assert.equal(seen.sampled, true)
})

test('transferables: a Piscina.move() task and a moved result still transfer', async (t) => {
  const workers = pool(t, { maxThreads: 1 })
  await tracedApp(t)
  const buffer = new Uint8Array(1024).buffer
  const length = await inSpan('t', () => runInWorker(workers, Piscina.move(buffer), { name: 'byteLength' }))
  assert.equal(length, 1024)
  assert.equal(buffer.byteLength, 0, 'the buffer was copied instead of transferred')
  const made = await inSpan('t', () => runInWorker(workers, { size: 64 }, { name: 'makeBuffer' }))
  assert.ok(made instanceof ArrayBuffer)
  assert.equal(made.byteLength, 64)
})

test('bad arguments fail with coded errors', async () => {
  await assert.rejects(runInWorker({}, {}), { code: 'FOK_ERR_INVALID_POOL' })
  await assert.rejects(runInWorker(null, {}), { code: 'FOK_ERR_INVALID_POOL', message: /received null/ })
  assert.throws(() => tracedTask('not a function'), { code: 'FOK_ERR_INVALID_TASK_FUNCTION' })
})
