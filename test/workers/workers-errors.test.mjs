// Errors equal to plain pool.run for every thrown value (null, undefined, strings, numbers, plain
// objects, arrays, Errors), sync and async, sampled or not, through the generic entry and through
// a tracedTask module, on real Piscina pools.
import { context, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api'
import { createTracedPool, runInWorker } from 'fastify-otel-kit/workers'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { tracedApp } from '../helpers.mjs'

const edgeWorker = fileURLToPath(new URL('../fixtures/edge-worker.mjs', import.meta.url))
const tracedWorker = fileURLToPath(new URL('../fixtures/throwing-traced-worker.mjs', import.meta.url))
const KINDS = ['null', 'undefined', 'string', 'number', 'object', 'array', 'error']

const outcome = (promise) =>
  promise.then(
    (value) => ({ settled: 'resolved', value }),
    (value) => ({ settled: 'rejected', value })
  )

/** The caller contexts a task can come from. */
const callers = {
  sampled: (fn) =>
    trace.getTracer('test').startActiveSpan('caller', async (span) => {
      try {
        return await fn()
      } finally {
        span.end()
      }
    }),
  unsampled: (fn) =>
    context.with(
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        traceFlags: 0
      }),
      fn
    ),
  'outside any trace': (fn) => context.with(ROOT_CONTEXT, fn)
}

function assertSameOutcome (traced, plain, what) {
  assert.equal(traced.settled, plain.settled, `${what}: settled differently`)
  if (plain.value instanceof Error) {
    assert.equal(traced.value.constructor, plain.value.constructor, what)
    assert.equal(traced.value.name, plain.value.name, what)
    assert.equal(traced.value.message, plain.value.message, what)
    assert.deepEqual(Object.keys(traced.value).sort(), Object.keys(plain.value).sort(), what)
  } else {
    assert.deepStrictEqual(traced.value, plain.value, what)
  }
}

test('every thrown value settles runInWorker exactly as pool.run, sync and async, ' +
  'from every kind of caller', async (t) => {
  const pool = new Piscina({ filename: edgeWorker, maxThreads: 1 })
  t.after(() => pool.destroy())
  await tracedApp(t)
  for (const name of ['throwValue', 'rejectValue']) {
    for (const kind of KINDS) {
      const plain = await outcome(pool.run({ kind }, { name }))
      for (const [from, within] of Object.entries(callers)) {
        const traced = await within(() => outcome(runInWorker(pool, { kind }, { name })))
        assertSameOutcome(traced, plain, `${name} ${kind}, ${from}`)
      }
    }
  }
  // Piscina settles a task by whether its error is null: `throw null` resolves, with null.
  assert.deepEqual(await outcome(pool.run({ kind: 'null' }, { name: 'throwValue' })), {
    settled: 'resolved',
    value: null
  })
})

test('the same through a traced pool and through a tracedTask module', async (t) => {
  const traced = createTracedPool({ filename: edgeWorker, name: 'throwValue', maxThreads: 1 })
  const plainPool = new Piscina({ filename: edgeWorker, name: 'throwValue', maxThreads: 1 })
  const explicit = new Piscina({ filename: tracedWorker, maxThreads: 1 })
  t.after(() => Promise.all([traced.destroy(), plainPool.destroy(), explicit.destroy()]))
  await tracedApp(t)
  for (const kind of KINDS) {
    const plain = await outcome(plainPool.run({ kind }))
    const plainExplicit = await outcome(explicit.run({ kind }))
    assertSameOutcome(plainExplicit, plain, `tracedTask module answering pool.run, ${kind}`)
    for (const [from, within] of Object.entries(callers)) {
      assertSameOutcome(await within(() => outcome(traced.run({ kind }))), plain, `traced pool ${kind}, ${from}`)
      assertSameOutcome(
        await within(() => outcome(runInWorker(explicit, { kind }))),
        plain,
        `tracedTask module ${kind}, ${from}`
      )
    }
  }
})

test('a task that throws a value that is not an Error still records it on the dispatch and task spans', async (t) => {
  const pool = new Piscina({ filename: edgeWorker, maxThreads: 1 })
  t.after(() => pool.destroy())
  const { spans } = await tracedApp(t)
  await callers.sampled(() => outcome(runInWorker(pool, { kind: 'string' }, { name: 'throwValue' })))
  await callers.sampled(() => outcome(runInWorker(pool, { kind: 'null' }, { name: 'throwValue' })))
  const all = await spans()
  const failed = all.filter((s) => s.name === 'worker.task throwValue' || s.name === 'worker.dispatch throwValue')
  assert.equal(failed.length, 4)
  for (const span of failed) {
    assert.equal(span.status.code, SpanStatusCode.ERROR, span.name)
    assert.equal(span.attributes['error.type'], '_OTHER')
  }
  assert.deepEqual(failed.map((s) => s.status.message).sort(), ['null', 'null', 'x', 'x'])
  assert.equal(all.filter((s) => s.name === 'before.throw').length, 2)
})

test("a task whose module or export is missing rejects with Piscina's error", async (t) => {
  const pool = new Piscina({ filename: edgeWorker, maxThreads: 1 })
  t.after(() => pool.destroy())
  await tracedApp(t)
  const missingExport = await outcome(pool.run({}, { name: 'nothingHere' }))
  assertSameOutcome(
    await callers.sampled(() => outcome(runInWorker(pool, {}, { name: 'nothingHere' }))),
    missingExport,
    'missing export'
  )
  const missingFile = fileURLToPath(new URL('../fixtures/no-such-worker.mjs', import.meta.url))
  const plain = await outcome(pool.run({}, { filename: missingFile }))
  const traced = await callers.unsampled(() => outcome(runInWorker(pool, {}, { filename: missingFile })))
  assert.equal(traced.settled, 'rejected')
  assert.equal(traced.value.constructor, plain.value.constructor)
  assert.equal(traced.value.code, plain.value.code)
  // The same message, except that Node names the module that tried the import.
  const importer = / imported from .*$/
  assert.equal(traced.value.message.replace(importer, ''), plain.value.message.replace(importer, ''))
  // Options Piscina refuses are refused by Piscina.
  const badName = await outcome(pool.run({}, { name: 42 }))
  assertSameOutcome(await outcome(runInWorker(pool, {}, { name: 42 })), badName, 'a name that is not a string')
  const noFilename = new Piscina({ maxThreads: 1 })
  t.after(() => noFilename.destroy())
  assertSameOutcome(await outcome(runInWorker(noFilename, {})), await outcome(noFilename.run({})), 'no filename')
})
