// The batch queue under both export pipelines (sdk/export/batch-queue.ts; the span processor and
// the log processor on top), in process: the exporter is an object the test answers, the clock is
// node:test's fake one (the queue calls its exporter on process.nextTick, after the call that
// filled the batch; nothing waits longer). After every action the books are checked: created =
// exported + dropped + failed + queued. The same scenarios run over both processors: they share
// the queue by construction, and this says so.
import { context, propagation, trace } from '@opentelemetry/api'
import { isTracingSuppressed } from '@opentelemetry/core'
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { after, before, describe, mock, test } from 'node:test'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { EXPORT_CONTEXT } from '../../dist/sdk/export/export-context.js'
import { classifyFailure } from '../../dist/sdk/export/failure.js'
import { BatchLogProcessor } from '../../dist/sdk/logs/batch-log-processor.js'
import { BatchExportProcessor } from '../../dist/sdk/traces/batch-span-processor.js'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  assertBalanced,
  assertBooks,
  controlledExporter,
  failed,
  requestContext,
  settle,
  SUCCESS
} from './unit-helpers.mjs'

/** Lets process.nextTick callbacks and promise reactions run, without a turn of the event loop. */
const nextTicks = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => process.nextTick(resolve))
}

const RESOURCE = Object.freeze({})
const SAMPLED = Object.freeze({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 })
const UNSAMPLED = Object.freeze({ ...SAMPLED, traceFlags: 0 })

/** An item either processor takes: a sampled span's shape is enough for a log record too. */
const item = (n, resource = RESOURCE) => ({ n, resource, spanContext: () => SAMPLED })

const LIMITS = Object.freeze({
  maxQueueSize: 100,
  scheduledDelayMillis: 1000,
  maxExportBatchSize: 2,
  exportTimeoutMillis: 30000
})

const PIPELINES = [
  {
    name: 'span batch processor',
    make: (exporter, limits, events) => new BatchExportProcessor(exporter, limits, events),
    add: (processor, it) => processor.onEnd(it)
  },
  {
    name: 'log batch processor',
    make: (exporter, limits, events) => new BatchLogProcessor(exporter, limits, events),
    add: (processor, it) => processor.onEmit(it)
  }
]

const tooLarge = () => classifyFailure(new Error('request over the message size limit'), { kind: 'too-large' })
const throttled = () => classifyFailure(new Error('quota exceeded'), { kind: 'throttled' })
const permanent = () => classifyFailure(new Error('bad data'), { kind: 'permanent' })

before(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()))
after(() => context.disable())

for (const pipeline of PIPELINES) {
  describe(pipeline.name, () => {
    /** A processor on a fake clock, an exporter the test answers, and the events it reported. */
    function setup (t, limits = {}, exporterOptions = {}) {
      t.mock.timers.enable({ apis: ['setTimeout'] })
      const exporter = controlledExporter(exporterOptions)
      const drops = []
      const failures = []
      const queue = pipeline.make(
        exporter,
        { ...LIMITS, ...limits },
        {
          onDrop: (total, reason) => drops.push([total, reason]),
          onExportFailure: (count, error) => failures.push([count, error?.message])
        }
      )
      let next = 0
      /** Adds `count` items numbered on from the last one. */
      const add = (count = 1) => {
        for (let i = 0; i < count; i++) pipeline.add(queue, item(next++))
      }
      return { queue, exporter, drops, failures, add, tick: (ms) => t.mock.timers.tick(ms) }
    }

    test('the schedule delay arms one timer: a part batch goes when it fires, not before, and not again', async (t) => {
      const { queue, exporter, add, tick } = setup(t, { maxExportBatchSize: 3 })
      add()
      await settle()
      assert.deepEqual(exporter.batches(), [])
      assertBooks(queue, { created: 1, queued: 1 })
      tick(600)
      // A second item does not re-arm the timer: the first item's wait is the bound.
      add()
      tick(399)
      await settle()
      assert.deepEqual(exporter.batches(), [])
      tick(1)
      await settle()
      assert.deepEqual(exporter.batches(), [[0, 1]])
      assertBooks(queue, { created: 2, queued: 2 })
      exporter.open().done(SUCCESS)
      await settle()
      assertBooks(queue, { created: 2, exported: 2 })
      tick(LIMITS.scheduledDelayMillis * 3)
      await settle()
      assert.equal(exporter.calls.length, 1, 'an empty queue arms no timer')
    })

    test('a full batch goes at once; the rest waits for the timer armed when that export settles', async (t) => {
      const { queue, exporter, add, tick } = setup(t)
      add(3)
      await settle()
      assert.deepEqual(exporter.batches(), [[0, 1]])
      assertBooks(queue, { created: 3, queued: 3 })
      exporter.open().done(SUCCESS)
      await settle()
      assertBooks(queue, { created: 3, exported: 2, queued: 1 })
      assert.equal(exporter.calls.length, 1)
      tick(LIMITS.scheduledDelayMillis - 1)
      await settle()
      assert.equal(exporter.calls.length, 1)
      tick(1)
      await settle()
      assert.deepEqual(exporter.batches(), [[0, 1], [2]])
      exporter.open().done(SUCCESS)
      await settle()
      assertBooks(queue, { created: 3, exported: 3 })
    })

    test('one export at a time: full batches that pile up wait for the one under way to settle', async (t) => {
      const { queue, exporter, add } = setup(t)
      add(6)
      await settle()
      assert.deepEqual(exporter.batches(), [[0, 1]])
      assertBooks(queue, { created: 6, queued: 6 })
      exporter.open().done(SUCCESS)
      await settle()
      assert.deepEqual(exporter.batches(), [[0, 1], [2, 3]])
      assertBooks(queue, { created: 6, exported: 2, queued: 4 })
      exporter.open().done(failed(permanent()))
      await settle()
      assert.deepEqual(exporter.batches(), [[0, 1], [2, 3], [4, 5]])
      assertBooks(queue, { created: 6, exported: 2, failed: 2, queued: 2 })
      exporter.open().done(SUCCESS)
      await settle()
      assertBooks(queue, { created: 6, exported: 4, failed: 2 })
    })

    test('a full queue drops and counts each item with its reason; items in flight take no queue room', async (t) => {
      const { queue, exporter, drops, add } = setup(t, { maxQueueSize: 2 })
      add(2)
      await settle()
      assert.deepEqual(exporter.batches(), [[0, 1]])
      add(2)
      assertBooks(queue, { created: 4, queued: 4 })
      add(2)
      assert.deepEqual(drops, [
        [1, 'queue-full'],
        [2, 'queue-full']
      ])
      assertBooks(queue, { created: 6, queued: 4, dropped: 2 })
      exporter.open().done(SUCCESS)
      await settle()
      assert.deepEqual(exporter.batches(), [[0, 1], [2, 3]], 'the dropped items 4 and 5 are never exported')
      exporter.open().done(SUCCESS)
      await settle()
      assertBooks(queue, { created: 6, exported: 4, dropped: 2 })
    })

    test('shutdown flushes what was queued, then refuses new items and counts them as shutting-down', async (t) => {
      const { queue, exporter, drops, add } = setup(t, { maxExportBatchSize: 3 })
      add(1)
      let shutDown = false
      const shutdown = queue.shutdown().then(() => {
        shutDown = true
      })
      add(1)
      assert.deepEqual(drops, [[1, 'shutting-down']])
      assertBooks(queue, { created: 2, queued: 1, dropped: 1 })
      await settle()
      assert.deepEqual(exporter.batches(), [[0]])
      assert.equal(shutDown, false, 'shutdown waits for the flush')
      assert.equal(exporter.shutdowns, 0, 'the exporter is shut after the flush, not during it')
      exporter.open().done(SUCCESS)
      await shutdown
      assert.equal(exporter.shutdowns, 1)
      add(1)
      assert.deepEqual(drops, [
        [1, 'shutting-down'],
        [2, 'shutting-down']
      ])
      assertBooks(queue, { created: 3, exported: 1, dropped: 2 })
      await queue.shutdown()
      assert.equal(exporter.shutdowns, 1, 'a second shutdown shuts the exporter once')
    })

    test('forceFlush waits for an export under way, even with nothing else queued', async (t) => {
      const { queue, exporter, add } = setup(t)
      add(2)
      await settle()
      let flushed = false
      const flush = queue.forceFlush().then(() => {
        flushed = true
      })
      await settle()
      assert.equal(flushed, false)
      assert.equal(exporter.calls.length, 1)
      exporter.open().done(SUCCESS)
      await flush
      assertBooks(queue, { created: 2, exported: 2 })
    })

    test('forceFlush drains exactly what was queued when it started, one batch at a time', async (t) => {
      const { queue, exporter, add, tick } = setup(t, { maxExportBatchSize: 4 })
      add(4) // a full batch: under way
      add(5) // queued behind it: 4..8
      await settle()
      assert.deepEqual(exporter.batches(), [[0, 1, 2, 3]])
      let flushed = false
      const flush = queue.forceFlush().then(() => {
        flushed = true
      })
      add(1) // 9 arrives during the flush: not the flush's business
      assertBooks(queue, { created: 10, queued: 10 })
      exporter.open().done(SUCCESS)
      await settle()
      assert.deepEqual(exporter.batches().at(-1), [4, 5, 6, 7])
      exporter.open().done(SUCCESS)
      await settle()
      assert.deepEqual(exporter.batches().at(-1), [8], 'the flush stops at the last item queued before it')
      assert.equal(flushed, false)
      exporter.open().done(SUCCESS)
      await flush
      assertBooks(queue, { created: 10, exported: 9, queued: 1 })
      assert.equal(exporter.calls.length, 3)
      // Item 9 goes with the timer armed when the flush's export settled.
      tick(LIMITS.scheduledDelayMillis)
      await settle()
      assert.deepEqual(exporter.batches().at(-1), [9])
      exporter.open().done(SUCCESS)
      await settle()
      assertBooks(queue, { created: 10, exported: 10 })
    })

    test('the export timeout fails the batch; a late answer is not counted; the next batch goes', async (t) => {
      const { queue, exporter, failures, add, tick } = setup(t, { exportTimeoutMillis: 500 })
      add(4)
      await settle()
      const late = exporter.open()
      tick(499)
      await settle()
      assertBooks(queue, { created: 4, queued: 4 })
      tick(1)
      await settle()
      assert.deepEqual(failures, [[2, 'export timed out after 500 ms']])
      assert.deepEqual(exporter.batches(), [[0, 1], [2, 3]])
      assertBooks(queue, { created: 4, failed: 2, queued: 2 })
      late.done(SUCCESS)
      await settle()
      assertBooks(queue, { created: 4, failed: 2, queued: 2 }, 'the timed-out batch stays failed')
      exporter.open().done(SUCCESS)
      await settle()
      assertBooks(queue, { created: 4, failed: 2, exported: 2 })
    })

    test('an export the timer gave up on before its turn came is never made (real timers)', async () => {
      // The second batch of a backlog goes a turn later (setImmediate). With the event loop
      // blocked past the timeout meanwhile, the loop's next timers phase (before its check phase)
      // fails the batch; calling the exporter after that would send a batch already counted as failed.
      const exporter = controlledExporter()
      const failures = []
      const queue = pipeline.make(
        exporter,
        { ...LIMITS, exportTimeoutMillis: 5 },
        { onExportFailure: (count, error) => failures.push([count, error?.message]) }
      )
      for (let n = 0; n < 4; n++) pipeline.add(queue, item(n))
      await nextTicks()
      assert.deepEqual(exporter.batches(), [[0, 1]])
      await nextTurn() // from here in the check phase: an immediate set now waits for the next loop
      exporter.open().done(SUCCESS)
      await nextTicks()
      const until = performance.now() + 30
      while (performance.now() < until); // blocks past the timeout
      await sleep(20)
      assert.deepEqual(failures, [[2, 'export timed out after 5 ms']])
      assert.deepEqual(exporter.batches(), [[0, 1]], 'the timed-out batch was not sent')
      assertBooks(queue, { created: 4, failed: 2, exported: 2 })
    })

    test('an exporter that throws fails its batch and the pipeline goes on', async (t) => {
      let calls = 0
      const { queue, failures, add } = setup(
        t,
        {},
        {
          respond: () => {
            if (++calls === 1) throw new TypeError('exporter bug')
            return SUCCESS
          }
        }
      )
      add(4)
      await settle()
      assert.deepEqual(failures, [[2, 'exporter bug']])
      assertBooks(queue, { created: 4, failed: 2, exported: 2 })
    })

    test('abandon() counts everything pending as failed; exports that settle after it count for nothing', async (t) => {
      const { queue, exporter, drops, add } = setup(t)
      add(3)
      await settle()
      const inFlight = exporter.open()
      assert.equal(queue.abandon(), 3)
      assertBooks(queue, { created: 3, failed: 3 })
      await settle()
      assert.equal(exporter.shutdowns, 1, 'the exporter is shut down without waiting for the export')
      inFlight.done(SUCCESS)
      await settle()
      assertBooks(queue, { created: 3, failed: 3 }, 'the abandoned export that succeeded later is not counted twice')
      assert.equal(exporter.calls.length, 1, 'nothing more is exported')
      add(1)
      assert.deepEqual(drops, [[1, 'shutting-down']])
      assertBooks(queue, { created: 4, failed: 3, dropped: 1 })
      await queue.shutdown()
      assert.equal(exporter.shutdowns, 1)
    })

    test('the first batch goes out once the call that filled it returns; a backlog a turn apart, ' +
      'so work waiting meanwhile runs between batches', async (t) => {
      const order = []
      const { exporter, add } = setup(t, {}, {
        respond: (items) => {
          order.push(`export ${items.join(',')}`)
          return SUCCESS
        }
      })
      add(6) // three full batches at once
      assert.deepEqual(exporter.calls, [], 'not inside the call that filled the batch')
      setImmediate(() => order.push('other work'))
      await settle(6)
      assert.deepEqual(order, ['export 0,1', 'other work', 'export 2,3', 'export 4,5'])
    })

    test('abandon() before the exporter was called: the exporter is never called', async (t) => {
      const { queue, exporter, failures, add } = setup(t)
      add(2) // the export is scheduled for after this call
      assert.equal(queue.abandon(), 2)
      await settle()
      assert.deepEqual(exporter.calls, [])
      assert.deepEqual(failures, [], 'abandon() reports its count itself; no second report')
      assertBooks(queue, { created: 2, failed: 2 })
    })

    test('a batch refused as too large is split in halves down to single items', async (t) => {
      // Anything over 2 items is too large, and item 5 is too large on its own.
      const { queue, exporter, failures, add } = setup(
        t,
        { maxExportBatchSize: 8 },
        { respond: (items) => (items.length > 2 || items.includes(5) ? failed(tooLarge()) : SUCCESS) }
      )
      add(8)
      await settle(20)
      assert.deepEqual(exporter.batches(), [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [0, 1, 2, 3],
        [0, 1],
        [2, 3],
        [4, 5, 6, 7],
        [4, 5],
        [4],
        [5],
        [6, 7]
      ])
      assert.deepEqual(failures, [[1, 'request over the message size limit']])
      assertBooks(queue, { created: 8, exported: 7, failed: 1 })
    })

    test('a throttled half stops the split: the rest of the batch is not sent', async (t) => {
      const { queue, exporter, failures, add } = setup(
        t,
        { maxExportBatchSize: 8 },
        { respond: (items) => (items.length > 2 ? failed(tooLarge()) : failed(throttled())) }
      )
      add(8)
      await settle(20)
      assert.deepEqual(exporter.batches(), [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [0, 1, 2, 3],
        [0, 1]
      ])
      assert.deepEqual(failures, [[8, 'quota exceeded']])
      assertBooks(queue, { created: 8, failed: 8 })
    })

    test('a throttled second half stops the split too; the first half stays exported', async (t) => {
      const { queue, exporter, add } = setup(
        t,
        { maxExportBatchSize: 4 },
        {
          respond: (items, call) =>
            call === 1 ? failed(tooLarge()) : items[0] === 0 ? SUCCESS : failed(throttled())
        }
      )
      add(8)
      await settle(20)
      // The first batch split (0,1 exported; 2,3 throttled), then the next batch goes as usual.
      assert.deepEqual(exporter.batches().slice(0, 3), [[0, 1, 2, 3], [0, 1], [2, 3]])
      assertBooks(queue, { created: 8, exported: 2, failed: 6 })
    })

    test('other failures do not split, and a permanent half does not stop the other half', async (t) => {
      const { queue, exporter, add } = setup(
        t,
        { maxExportBatchSize: 4 },
        {
          respond: (items, call) =>
            call === 1 ? failed(tooLarge()) : call === 2 ? failed(permanent()) : failed(new Error('unclassified'))
        }
      )
      add(4)
      await settle(20)
      assert.deepEqual(exporter.batches(), [[0, 1, 2, 3], [0, 1], [2, 3]])
      assertBooks(queue, { created: 4, failed: 4 })
    })

    test('the exporter runs on a later turn, in the root context with tracing suppressed', async (t) => {
      const { queue, exporter, add, tick } = setup(t)
      const inRequest = requestContext()
      // A full batch, filled inside a request's context: not exported inside the add.
      context.with(inRequest, () => {
        add(2)
        assert.equal(exporter.calls.length, 0, 'the exporter is not called inside the call that filled the batch')
      })
      await settle()
      exporter.open().done(SUCCESS)
      await settle()
      // A timer armed inside the request's context, fired inside it too.
      context.with(inRequest, () => add(1))
      context.with(inRequest, () => tick(LIMITS.scheduledDelayMillis))
      await settle()
      exporter.open().done(SUCCESS)
      await settle()
      // A flush called inside the request's context.
      context.with(inRequest, () => add(1))
      const flush = context.with(inRequest, () => queue.forceFlush())
      await settle()
      exporter.open().done(SUCCESS)
      await flush
      assert.equal(exporter.calls.length, 3)
      for (const call of exporter.calls) {
        assert.equal(call.context, EXPORT_CONTEXT)
        assert.equal(trace.getSpanContext(call.context), undefined)
        assert.equal(propagation.getBaggage(call.context), undefined)
        assert.equal(isTracingSuppressed(call.context), true)
      }
      assertBooks(queue, { created: 4, exported: 4 })
    })

    test('a resource still detecting its attributes is waited for before the batch is exported', async (t) => {
      const { queue, exporter } = setup(t)
      let finishDetection
      const detected = new Promise((resolve) => {
        finishDetection = resolve
      })
      let waits = 0
      const resource = {
        asyncAttributesPending: true,
        waitForAsyncAttributes: () => {
          waits++
          return detected
        }
      }
      pipeline.add(queue, item(0, resource))
      pipeline.add(queue, item(1, resource))
      await settle()
      assert.equal(exporter.calls.length, 0)
      assert.equal(waits, 1, 'one wait per resource, not per item')
      assertBooks(queue, { created: 2, queued: 2 })
      finishDetection()
      await settle()
      exporter.open().done(SUCCESS)
      await settle()
      assertBooks(queue, { created: 2, exported: 2 })
    })

    test('the books balance after every step of any sequence of adds, answers, ticks, flushes, abandon', async () => {
      const action = fc.oneof(
        fc.record({ type: fc.constant('add'), count: fc.integer({ min: 1, max: 5 }) }),
        fc.record({
          type: fc.constant('answer'),
          with: fc.constantFrom('success', 'too-large', 'throttled', 'permanent', 'transient')
        }),
        fc.record({ type: fc.constant('tick'), ms: fc.integer({ min: 1, max: 1500 }) }),
        fc.record({ type: fc.constant('flush') }),
        fc.record({ type: fc.constant('shutdown') }),
        fc.record({ type: fc.constant('abandon') })
      )
      const answers = {
        success: () => SUCCESS,
        'too-large': () => failed(tooLarge()),
        throttled: () => failed(throttled()),
        permanent: () => failed(permanent()),
        transient: () => failed(classifyFailure(new Error('unavailable'), { kind: 'transient' }))
      }
      await fc.assert(
        fc.asyncProperty(fc.array(action, { maxLength: 40, size: 'max' }), async (actions) => {
          mock.timers.enable({ apis: ['setTimeout'] })
          try {
            let now = 0
            const exporter = controlledExporter()
            const record = exporter.export
            exporter.export = (items, done) => {
              record(items, done)
              exporter.calls.at(-1).startedAt = now
            }
            const limits = {
              maxQueueSize: 6,
              scheduledDelayMillis: 1000,
              maxExportBatchSize: 3,
              exportTimeoutMillis: 2000
            }
            const queue = pipeline.make(exporter, limits)
            let next = 0
            let abandoned = false
            for (const a of actions) {
              if (a.type === 'add') for (let i = 0; i < a.count; i++) pipeline.add(queue, item(next++))
              else if (a.type === 'answer') exporter.calls.find((c) => !c.settled)?.done(answers[a.with]())
              else if (a.type === 'tick') {
                now += a.ms
                mock.timers.tick(a.ms)
              } else if (a.type === 'flush') queue.forceFlush()
              else if (a.type === 'shutdown') queue.shutdown()
              else if (!abandoned) abandoned = queue.abandon() >= 0
              await settle(3)
              const stats = queue.stats(undefined)
              assertBalanced(stats, JSON.stringify(a))
              assert.equal(stats.created, next)
              assert.ok(stats.queued <= limits.maxQueueSize + limits.maxExportBatchSize, 'the queue stays bounded')
              // An export the queue timed out is over for the queue, whatever the exporter does.
              const underWay = exporter.calls.filter(
                (c) => !c.settled && now - c.startedAt < limits.exportTimeoutMillis
              )
              assert.ok(underWay.length <= 1, 'one export at a time')
            }
            // Whatever happened, answering every export leaves nothing pending but the queue's
            // part batch, which a flush takes.
            for (let i = 0; i < 50 && queue.pending > 0; i++) {
              exporter.calls.find((c) => !c.settled)?.done(SUCCESS)
              now += limits.scheduledDelayMillis
              mock.timers.tick(limits.scheduledDelayMillis)
              await settle(3)
            }
            assert.equal(queue.pending, 0)
            assertBalanced(queue.stats(undefined))
          } finally {
            mock.timers.reset()
          }
        }),
        { numRuns: 60 }
      )
    })
  })
}

describe('what each processor takes', () => {
  test('the span processor takes sampled spans only; an unsampled one is not even created', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const exporter = controlledExporter()
    const processor = new BatchExportProcessor(exporter, LIMITS)
    processor.onStart({}, context.active())
    processor.onEnd({ n: 0, resource: RESOURCE, spanContext: () => UNSAMPLED })
    assertBooks(processor, {})
    processor.onEnd(item(1))
    processor.onEnd(item(2))
    await settle()
    assert.deepEqual(exporter.batches(), [[1, 2]])
  })

  test('the log processor takes every record, through onEmit and through accept', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const exporter = controlledExporter()
    const processor = new BatchLogProcessor(exporter, LIMITS)
    processor.onEmit({ n: 0, resource: RESOURCE })
    processor.accept({ n: 1, resource: RESOURCE })
    assertBooks(processor, { created: 2, queued: 2 })
    await settle()
    assert.deepEqual(exporter.batches(), [[0, 1]])
  })
})
