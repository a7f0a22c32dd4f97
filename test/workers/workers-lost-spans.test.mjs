// Nothing lost without a word: spans a worker still holds when it stops (the pool destroyed before
// a late span's next reply, a worker killed by process.exit(), an aborted task) are counted by
// reason and warned about once per reason. Real Piscina pools and real thread exits.
import { trace } from '@opentelemetry/api'
import { lostWorkerSpans, runInWorker } from 'fastify-otel-kit/workers'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { idOf, parentOf, tracedApp } from '../helpers.mjs'

const edgeWorker = fileURLToPath(new URL('../fixtures/edge-worker.mjs', import.meta.url))
const CODE = 'FOK_WARN_WORKER_SPANS_LOST'

/** Runs `fn` inside an active sampled span. */
function inSpan (fn) {
  return trace.getTracer('test').startActiveSpan('caller', async (span) => {
    try {
      return await fn()
    } finally {
      span.end()
    }
  })
}

/**
 * The loss warnings given during a test, whichever channel carried them: the plugin's logger
 * (when it prints warnings) or Node's process warnings.
 */
function lossWarnings (t, logs) {
  const fromProcess = []
  const listener = (warning) => {
    if (warning.code === CODE) fromProcess.push(warning.message)
  }
  process.on('warning', listener)
  t.after(() => process.removeListener('warning', listener))
  return async () => {
    // Process warnings are emitted on the next tick.
    await nextTurn()
    return [...fromProcess, ...logs.lines.filter((l) => l.code === CODE).map((l) => l.msg)]
  }
}

test('a pool destroyed while a worker holds a late span: counted and warned once, with the reason', async (t) => {
  const { logs, spans } = await tracedApp(t)
  const warnings = lossWarnings(t, logs)
  for (const round of [1, 2]) {
    const pool = new Piscina({ filename: edgeWorker, maxThreads: 1 })
    assert.equal(await inSpan(() => runInWorker(pool, {}, { name: 'lateSpan' })), 'replied')
    await pool.destroy()
    assert.deepEqual(lostWorkerSpans(), { total: round, stopped: round, aborted: 0, exited: 0 })
  }
  const given = await warnings()
  assert.equal(given.length, 1, given.join('\n'))
  assert.match(
    given[0],
    /^fastify-otel-kit: 1 span\(s\) made in a worker thread could not come home: the pool stopped the worker \(pool\.destroy\(\), pool\.close\(\) or idleTimeout\)/
  )
  // The task's own spans came home; only the late one is missing.
  const names = (await spans()).map((s) => s.name)
  assert.equal(names.filter((n) => n === 'worker.task lateSpan').length, 2)
  assert.ok(!names.includes('late.span'))
})

test("a late span comes home with the worker's next sampled reply, and is then not counted as lost", async (t) => {
  const { spans } = await tracedApp(t)
  const pool = new Piscina({ filename: edgeWorker, maxThreads: 1 })
  await inSpan(() => runInWorker(pool, {}, { name: 'lateSpan' }))
  await inSpan(() => runInWorker(pool, 1, { name: 'noop' }))
  await pool.destroy()
  const all = await spans()
  const late = all.find((s) => s.name === 'late.span')
  const task = all.find((s) => s.name === 'worker.task lateSpan')
  assert.equal(parentOf(late), idOf(task))
  assert.equal(typeof late.attributes['thread.id'], 'number')
  assert.deepEqual(lostWorkerSpans(), { total: 0, stopped: 0, aborted: 0, exited: 0 })
})

test('late spans are bounded: past 2048 a worker keeps no more, and those are counted as lost ' +
  'when it stops', async (t) => {
  const { spans } = await tracedApp(t)
  const pool = new Piscina({ filename: edgeWorker, maxThreads: 1 })
  await inSpan(() => runInWorker(pool, 2100, { name: 'manyLateSpans' }))
  await inSpan(() => runInWorker(pool, 1, { name: 'afterTurn' }))
  await pool.destroy()
  const late = (await spans()).filter((s) => s.name === 'late.many')
  assert.equal(late.length, 2048)
  assert.deepEqual(lostWorkerSpans(), { total: 52, stopped: 52, aborted: 0, exited: 0 })
})

test('a worker that calls process.exit() mid-task: its task span and its spans, ended or open, ' +
  'are counted', async (t) => {
  const { app, logs } = await tracedApp(t)
  const warnings = lossWarnings(t, logs)
  const pool = new Piscina({ filename: edgeWorker, maxThreads: 1 })
  t.after(() => pool.destroy())
  const plain = await pool.run({ code: 3 }, { name: 'exitMidTask' }).catch((error) => error)
  const traced = await inSpan(() => runInWorker(pool, { code: 3 }, { name: 'exitMidTask' })).catch((error) => error)
  assert.equal(traced.message, plain.message)
  // Rejected from Piscina's own exit listener; ours has run by then.
  assert.deepEqual(lostWorkerSpans(), { total: 3, stopped: 0, aborted: 0, exited: 3 })
  // The plugin's stats carry the total too, outside the queue's balance.
  const stats = app.otel.stats()
  assert.equal(stats.lostInWorkers, 3)
  assert.equal(stats.created, stats.exported + stats.dropped + stats.failed + stats.queued)
  const given = await warnings()
  assert.deepEqual(given, [
    'fastify-otel-kit: 3 span(s) made in a worker thread could not come home: the worker exited on its own ' +
      '(process.exit() or an uncaught error; exit code 3). They are counted (lostWorkerSpans()); ' +
      'further losses for this reason are counted without another warning.'
  ])
})

test('a worker that dies of an uncaught error: counted as exited on its own, not as stopped by the pool',
  async (t) => {
    await tracedApp(t)
    const pool = new Piscina({ filename: edgeWorker, maxThreads: 1 })
    t.after(() => pool.destroy())
    // A thread to watch: its exit comes after Piscina's rejection, when it comes.
    await pool.run(1, { name: 'noop' })
    const [worker] = pool.threads
    // Not events.once: it rejects on the worker's 'error' event, which is what happens here.
    const exited = new Promise((resolve) => worker.once('exit', resolve))
    const before = lostWorkerSpans()
    const failed = await inSpan(() => runInWorker(pool, {}, { name: 'throwUncaught' })).catch((error) => error)
    assert.equal(failed.message, 'uncaught in the worker')
    await exited
    const after = lostWorkerSpans()
    assert.equal(after.stopped, before.stopped)
    assert.ok(after.exited > before.exited, JSON.stringify(after))
  })

test('an aborted task with an open span: counted as aborted and warned once', async (t) => {
  const { logs } = await tracedApp(t)
  const warnings = lossWarnings(t, logs)
  const pool = new Piscina({ filename: edgeWorker, maxThreads: 1 })
  t.after(() => pool.destroy())
  const controller = new AbortController()
  const started = once(pool, 'message')
  const running = inSpan(() => runInWorker(pool, {}, { name: 'spinWithOpenSpan', signal: controller.signal }))
  await started
  const [worker] = pool.threads
  const exited = once(worker, 'exit')
  controller.abort()
  const error = await running.catch((e) => e)
  assert.equal(error.name, 'AbortError')
  await exited
  // The task span and the span left open.
  assert.deepEqual(lostWorkerSpans(), { total: 2, stopped: 0, aborted: 2, exited: 0 })
  const given = await warnings()
  assert.equal(given.length, 1)
  assert.match(
    given[0],
    /could not come home: a task was aborted, and Piscina terminates the worker that runs an aborted task/
  )
})

test('unsampled tasks and workers that hold nothing: nothing counted, nothing said', async (t) => {
  const { logs } = await tracedApp(t, { options: { sampler: 'always_off' } })
  const warnings = lossWarnings(t, logs)
  const pool = new Piscina({ filename: edgeWorker, maxThreads: 1 })
  await runInWorker(pool, {}, { name: 'lateSpan' })
  await pool.destroy()
  const idle = new Piscina({ filename: edgeWorker, maxThreads: 1 })
  await inSpan(() => runInWorker(idle, 1, { name: 'noop' }))
  await idle.destroy()
  assert.deepEqual(lostWorkerSpans(), { total: 0, stopped: 0, aborted: 0, exited: 0 })
  assert.deepEqual(await warnings(), [])
})
