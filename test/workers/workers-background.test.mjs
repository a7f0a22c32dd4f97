// Background work: a task dispatched outside any trace (a scheduled job, app startup, an explicit
// root context) behaves as the same code on the main thread would. The application's sampler
// decides; a sampled task starts a new trace whose root is the dispatch span, with the task span
// and the worker's spans under it; an unsampled one records nothing. Real Piscina pools.
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { AlwaysOnSampler, InMemorySpanExporter, SamplingDecision, SimpleSpanProcessor } from '@opentelemetry/sdk-trace'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { createTracedPool, runInWorker } from 'fastify-otel-kit/workers'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { idOf, parentOf, registerApplicationSdk, sampledParent, traceOf, tracedApp } from '../helpers.mjs'

const plainWorker = fileURLToPath(new URL('../fixtures/plain-worker.mjs', import.meta.url))

function pool (t, options = {}) {
  const p = new Piscina({ filename: plainWorker, maxThreads: 1, ...options })
  t.after(() => p.destroy())
  return p
}

/** The one new trace a background task made: dispatch (root) -> task -> render -> hash. */
function assertBackgroundTrace (all, seen, label = 'plain-worker') {
  const inTrace = all.filter((s) => traceOf(s) === seen.traceId)
  assert.deepEqual(inTrace.map((s) => s.name).sort(), [
    'receipt.hash',
    'receipt.render',
    `worker.dispatch ${label}`,
    `worker.task ${label}`
  ])
  const [dispatch, task, render, hash] = [
    `worker.dispatch ${label}`,
    `worker.task ${label}`,
    'receipt.render',
    'receipt.hash'
  ].map((name) => inTrace.find((s) => s.name === name))
  assert.equal(dispatch.parentSpanContext, undefined, 'the dispatch span is the root of a new trace')
  assert.equal(parentOf(task), idOf(dispatch))
  assert.equal(parentOf(render), idOf(task))
  assert.equal(parentOf(hash), idOf(render))
  assert.equal(seen.spanId, idOf(render))
  assert.equal(seen.sampled, true)
  return traceOf(dispatch)
}

test('a task dispatched at startup, outside any request, starts a trace of its own', async (t) => {
  const workers = pool(t)
  const { spans } = await tracedApp(t)
  const seen = await runInWorker(workers, { id: 'warm-up' })
  const all = await spans()
  assertBackgroundTrace(all, seen)
  assert.equal(all.length, 4)
})

test('each run of a scheduled job is a trace of its own, also through a traced pool', async (t) => {
  const traced = createTracedPool({ filename: plainWorker, maxThreads: 1 })
  t.after(() => traced.destroy())
  const { spans } = await tracedApp(t)
  // A job scheduled at startup: its timer carries no context. Ticks queued behind the first two
  // may still be in flight when the test ends; only the first two are checked.
  const runs = await new Promise((resolve, reject) => {
    const seen = []
    let ticks = 0
    const timer = setInterval(() => {
      traced.run({ id: `tick-${ticks++}` }).then(
        (result) => {
          seen.push(result)
          if (seen.length === 2) {
            clearInterval(timer)
            resolve(seen.slice())
          }
        },
        (error) => {
          if (seen.length < 2) reject(error)
        }
      )
    }, 1)
  })
  const all = await spans()
  const traces = runs.map((seen) => assertBackgroundTrace(all, seen))
  assert.notEqual(traces[0], traces[1])
})

test("context.with(ROOT_CONTEXT) inside a request leaves the request's trace for a new one", async (t) => {
  const workers = pool(t)
  const { app, spans } = await tracedApp(t)
  app.post('/nightly', async () => context.with(ROOT_CONTEXT, () => runInWorker(workers, { id: 'n' })))
  const res = await app.inject({ method: 'POST', url: '/nightly', headers: { traceparent: sampledParent } })
  const all = await spans()
  const background = assertBackgroundTrace(all, res.json())
  const request = all.find((s) => s.name === 'POST /nightly')
  assert.notEqual(background, traceOf(request))
})

test('when the sampler says no, nothing is recorded; the new trace id and baggage still cross', async (t) => {
  for (const options of [
    { sampler: 'parentbased_always_off' },
    { sampler: 'traceidratio', samplingRatio: 0 },
    { sampler: 'always_off' }
  ]) {
    await t.test(JSON.stringify(options), async (t) => {
      const workers = pool(t)
      const { spans } = await tracedApp(t, { options })
      const withBaggage = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ job: { value: 'nightly' } }))
      const seen = await context.with(withBaggage, () => runInWorker(workers, {}, { name: 'observeNow' }))
      assert.match(seen.traceId, /^[0-9a-f]{32}$/)
      assert.equal(seen.sampled, false)
      assert.deepEqual(seen.baggage, { job: 'nightly' })
      await runInWorker(workers, { id: 'unsampled' })
      assert.deepEqual(await spans(), [])
    })
  }
})

test('a Sampler instance is asked once per background task, for the root, ' +
  'and its decision holds for the worker', async (t) => {
  const workers = pool(t)
  const asked = []
  let decision = SamplingDecision.RECORD_AND_SAMPLED
  const sampler = {
    shouldSample (ctx, traceId, name) {
      asked.push({ name, parent: trace.getSpanContext(ctx) })
      return { decision }
    },
    toString: () => 'CountingSampler'
  }
  const { spans } = await tracedApp(t, { options: { sampler } })
  const seen = await runInWorker(workers, { id: 'counted' })
  assert.deepEqual(
    asked.map((a) => a.name),
    ['worker.dispatch plain-worker']
  )
  assert.equal(asked[0].parent, undefined)
  assertBackgroundTrace(await spans(), seen)
  decision = SamplingDecision.NOT_RECORD
  const unsampled = await runInWorker(workers, {}, { name: 'observeNow' })
  assert.equal(asked.length, 2)
  assert.equal(unsampled.sampled, false)
  assert.equal((await spans()).length, 4)
})

test("with the application's own SDK, its sampler and its processors take the background task", async (t) => {
  const exporter = new InMemorySpanExporter()
  let asked = 0
  const sampler = {
    shouldSample: (...args) => {
      asked++
      return new AlwaysOnSampler().shouldSample(...args)
    },
    toString: () => 'AppSampler'
  }
  const provider = new TracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  registerApplicationSdk(t, provider)
  const workers = pool(t)
  const seen = await context.with(ROOT_CONTEXT, () => runInWorker(workers, { id: 'app-sdk' }))
  await provider.forceFlush()
  assert.equal(asked, 1)
  assertBackgroundTrace(exporter.getFinishedSpans(), seen)
})

test("with no SDK at all, a sampled caller's task still settles with its own result", async (t) => {
  const { ensureContextManager } = await import('fastify-otel-kit/context')
  ensureContextManager()
  t.after(() => context.disable())
  const workers = pool(t)
  const caller = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
    isRemote: true
  })
  const seen = await context.with(caller, () => runInWorker(workers, {}, { name: 'observeNow' }))
  assert.equal(seen.traceId, '4bf92f3577b34da6a3ce929d0e0e4736')
  assert.equal(seen.sampled, true)
})
