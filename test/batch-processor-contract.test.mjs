// The plugin's batch processor replaces the SDK's BatchSpanProcessor (README, "Export that
// survives faults"). It must keep the SDK processor's contract: the same scenarios run against both
// and must agree. Where they differ on purpose, the difference is measured here, on both, so the
// README's reasons stay true for the SDK version installed.
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { ExportResultCode, isTracingSuppressed } from '@opentelemetry/core'
import { TracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'

/** An exporter that records batches and, on request, holds them until released. */
class ProbeExporter {
  batches = []
  inFlight = 0
  maxInFlight = 0
  held = []
  hold = false
  seenContexts = []
  shutdowns = 0
  export (spans, done) {
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    this.seenContexts.push({ activeSpan: trace.getActiveSpan()?.spanContext().spanId ?? null, suppressed: isTracingSuppressed(context.active()) })
    const finish = () => { this.inFlight--; this.batches.push(spans.map((s) => s.name)); done({ code: ExportResultCode.SUCCESS }) }
    if (this.hold) this.held.push(finish)
    else setImmediate(finish)
  }

  release () { for (const finish of this.held.splice(0)) finish() }
  async shutdown () { this.shutdowns++ }
  get exported () { return this.batches.flat() }
}

const limits = { maxQueueSize: 6, maxExportBatchSize: 2, scheduledDelayMillis: 60_000, exportTimeoutMillis: 5_000 }

/** The books of a pipeline, without what this file does not exercise (retries, worker losses). */
const books = ({ created, queued, exported, dropped, failed }) => ({ created, queued, exported, dropped, failed })

/** The two implementations, each behind the same small surface. */
const implementations = {
  'SDK BatchSpanProcessor': async (t, exporter) => {
    const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter, ...limits })] })
    // As in any real application: a context manager, so that active spans exist.
    if (context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())) t.after(() => context.disable())
    t.after(() => provider.shutdown().catch(() => {}))
    // The SDK's processor keeps no counters.
    return { tracer: provider.getTracer('contract'), forceFlush: () => provider.forceFlush(), shutdown: () => provider.shutdown(), stats: undefined }
  },
  'fastify-otel-kit batch processor': async (t, exporter) => {
    const app = Fastify()
    t.after(() => app.close())
    await app.register(otelPlugin, { serviceName: 'contract', exporter, handleSignals: false, batch: limits, sampler: 'parentbased_always_on' })
    return { tracer: app.otel.tracer, forceFlush: () => app.otel.forceFlush(), shutdown: () => app.otel.shutdown(), stats: () => app.otel.stats() }
  }
}

for (const [name, make] of Object.entries(implementations)) {
  describe(`contract: ${name}`, () => {
    test('exports only sampled spans, in batches of at most maxExportBatchSize, on forceFlush', async (t) => {
      const exporter = new ProbeExporter()
      const p = await make(t, exporter)
      p.tracer.startSpan('a').end()
      p.tracer.startSpan('b').end()
      p.tracer.startSpan('c').end()
      // An unsampled span is never exported.
      trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 0 }).end()
      p.tracer.startSpan('unsampled', {}, trace.setSpanContext(ROOT_CONTEXT, { traceId: '3'.repeat(32), spanId: '4'.repeat(16), traceFlags: 0, isRemote: true })).end()
      await p.forceFlush()
      assert.deepEqual(exporter.exported.sort(), ['a', 'b', 'c'])
      assert.ok(exporter.batches.every((b) => b.length <= limits.maxExportBatchSize))
    })

    test('drops spans beyond maxQueueSize while an export is held, exports the rest', async (t) => {
      const exporter = new ProbeExporter()
      exporter.hold = true
      const p = await make(t, exporter)
      for (let i = 0; i < 12; i++) p.tracer.startSpan(`s${i}`).end()
      while (exporter.held.length === 0) await nextTurn()
      exporter.hold = false
      exporter.release()
      await p.forceFlush()
      // 2 left at once as a full batch, 6 fitted the queue, the other 4 were dropped.
      assert.equal(exporter.exported.length, 8)
      if (p.stats) assert.deepEqual(books(p.stats()), { created: 12, queued: 0, exported: 8, dropped: 4, failed: 0 })
    })

    test('shutdown flushes what is queued and shuts the exporter down once; later spans are ignored', async (t) => {
      const exporter = new ProbeExporter()
      const p = await make(t, exporter)
      p.tracer.startSpan('before').end()
      await p.shutdown()
      p.tracer.startSpan('after').end()
      await p.shutdown()
      assert.deepEqual(exporter.exported, ['before'])
      assert.equal(exporter.shutdowns, 1)
      if (p.stats) assert.deepEqual(books(p.stats()), { created: 2, queued: 0, exported: 1, dropped: 1, failed: 0 })
    })

    test('a span that ends while shutdown is flushing is refused, and counted as dropped', async (t) => {
      const exporter = new ProbeExporter()
      exporter.hold = true
      const p = await make(t, exporter)
      p.tracer.startSpan('before').end()
      const shutdown = p.shutdown()
      // The shutdown flush's export of 'before' has started and is held: shutdown is under way.
      while (exporter.held.length === 0) await nextTurn()
      p.tracer.startSpan('during').end()
      exporter.hold = false
      exporter.release()
      await shutdown
      assert.deepEqual(exporter.exported, ['before'])
      // Nothing is left queued after close: every span is exported, dropped or failed.
      if (p.stats) assert.deepEqual(books(p.stats()), { created: 2, queued: 0, exported: 1, dropped: 1, failed: 0 })
    })
  })
}

describe('measured differences (README, "Export that survives faults")', () => {
  /** Ends three batches' worth of spans inside an active span, flushes, and reports what the exporter saw. */
  async function scenario (t, make) {
    const exporter = new ProbeExporter()
    const p = await make(t, exporter)
    await p.tracer.startActiveSpan('request', async (request) => {
      for (let i = 0; i < 6; i++) p.tracer.startSpan(`child-${i}`).end()
      request.end()
    })
    await p.forceFlush()
    return exporter
  }

  test('the SDK\'s exports run in the context of whichever span.end() triggered them; ours in the root context', async (t) => {
    const sdk = await scenario(t, implementations['SDK BatchSpanProcessor'])
    const ours = await scenario(t, implementations['fastify-otel-kit batch processor'])
    assert.ok(sdk.seenContexts.some((c) => c.activeSpan !== null), 'the SDK processor no longer leaks the active span: update the README')
    assert.ok(ours.seenContexts.every((c) => c.activeSpan === null && c.suppressed))
    assert.ok(sdk.seenContexts.every((c) => c.suppressed))
  })

  test('the SDK\'s forceFlush exports batches concurrently; ours one at a time', async (t) => {
    const flushConcurrency = async (make) => {
      const exporter = new ProbeExporter()
      const p = await make(t, exporter)
      exporter.hold = true
      // A pending partial batch: both processors wait for the timer or a flush.
      p.tracer.startSpan('x').end()
      exporter.hold = false
      for (let i = 0; i < 5; i++) p.tracer.startSpan(`y${i}`).end()
      await p.forceFlush()
      return exporter.maxInFlight
    }
    assert.ok(await flushConcurrency(implementations['SDK BatchSpanProcessor']) > 1, 'the SDK processor no longer exports concurrently: update the README')
    assert.equal(await flushConcurrency(implementations['fastify-otel-kit batch processor']), 1)
  })

  test('the SDK\'s forceFlush returns while an export is still under way; ours waits for it', async (t) => {
    const returnsEarly = async (make) => {
      const exporter = new ProbeExporter()
      exporter.hold = true
      const p = await make(t, exporter)
      p.tracer.startSpan('a').end()
      p.tracer.startSpan('b').end() // a full batch: its export starts at once and is held
      while (exporter.held.length === 0) await nextTurn()
      let flushed = false
      const flush = p.forceFlush().then(() => { flushed = true })
      for (let i = 0; i < 20; i++) await nextTurn()
      const early = flushed
      exporter.hold = false
      exporter.release()
      await flush
      return early
    }
    assert.equal(await returnsEarly(implementations['SDK BatchSpanProcessor']), true, 'the SDK processor now waits for exports in flight: update the README')
    assert.equal(await returnsEarly(implementations['fastify-otel-kit batch processor']), false)
  })
})
