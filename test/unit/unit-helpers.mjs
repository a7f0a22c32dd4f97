// Helpers of the unit layer only: in-process, no Fastify, no network (test/helpers.mjs loads
// Fastify, so the unit tests do not import it).
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import assert from 'node:assert/strict'
import { setImmediate as nextTurn } from 'node:timers/promises'

export const SUCCESS = Object.freeze({ code: ExportResultCode.SUCCESS })

/** A failed export result with `error`. */
export const failed = (error) => ({ code: ExportResultCode.FAILED, error })

/**
 * Lets every promise chain and every `setImmediate` already scheduled run (the queue calls its
 * exporter on the next turn). A few turns: a settled export resumes the queue's loop, which
 * schedules the next export on the turn after.
 */
export async function settle (turns = 5) {
  for (let i = 0; i < turns; i++) await nextTurn()
}

/**
 * An exporter the test drives: every call is recorded with the items, the context it ran in and
 * its `done`, which the test calls when it decides (or `respond` answers at once).
 */
export function controlledExporter ({ respond, key = (item) => item.n } = {}) {
  const exporter = {
    calls: [],
    shutdowns: 0,
    export (items, done) {
      const call = { items: items.map(key), done, context: context.active(), settled: false }
      call.done = (result) => {
        call.settled = true
        done(result)
      }
      exporter.calls.push(call)
      if (respond !== undefined) call.done(respond(call.items, exporter.calls.length))
    },
    async shutdown () {
      exporter.shutdowns++
    },
    /** The items of every call, in order. */
    batches: () => exporter.calls.map((c) => c.items),
    /** The one call not settled yet (fails if there is none, or more than one). */
    open () {
      const open = exporter.calls.filter((c) => !c.settled)
      assert.equal(open.length, 1, `expected one export under way, found ${open.length}`)
      return open[0]
    }
  }
  return exporter
}

/**
 * Asserts the pipeline's books: exactly `expected` (retries 0 unless given), and that they
 * balance, created = exported + dropped + failed + queued.
 */
export function assertBooks (queue, expected, message) {
  const stats = queue.stats(undefined)
  const zero = { created: 0, queued: 0, exported: 0, dropped: 0, failed: 0, retries: 0 }
  assert.deepEqual(stats, { ...zero, ...expected }, message)
  assertBalanced(stats, message)
  assert.equal(queue.pending, stats.queued, 'pending is what the books call queued')
}

export function assertBalanced (stats, message) {
  assert.equal(
    stats.created,
    stats.exported + stats.dropped + stats.failed + stats.queued,
    `books do not balance: ${JSON.stringify(stats)}${message === undefined ? '' : ` (${message})`}`
  )
}

/** A request's context: a sampled span and a baggage entry, what an exporter must never see. */
export function requestContext () {
  const withSpan = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1
  })
  return propagation.setBaggage(withSpan, propagation.createBaggage({ tenant: { value: 'acme' } }))
}

/** A small seeded generator (mulberry32): the same `seed` gives the same numbers in [0, 1). */
export function seededRandom (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let r = Math.imul(a ^ (a >>> 15), 1 | a)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A ReadableSpan as a plain object (what the encoders and processors read), with `fields` over
 * its defaults: an INTERNAL span of one second, no attributes, events or links, nothing dropped.
 */
export function plainSpan (fields) {
  return {
    name: 'span',
    kind: 0,
    spanContext: () => ({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }),
    parentSpanContext: undefined,
    startTime: [1, 0],
    endTime: [2, 0],
    status: { code: 0 },
    attributes: {},
    links: [],
    events: [],
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    instrumentationScope: { name: 'scope' },
    ...fields
  }
}

/** `count` ended SDK spans named `<prefix>-<i>`, each with `attributes(i)`. */
export function endedSpans (count, { prefix = 'span', attributes = () => ({}) } = {}) {
  const ended = []
  const provider = new TracerProvider({
    spanProcessors: [
      { onStart () {}, onEnd: (s) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }
    ]
  })
  const tracer = provider.getTracer('test')
  for (let i = 0; i < count; i++) tracer.startSpan(`${prefix}-${i}`, { attributes: attributes(i) }).end()
  return ended
}
