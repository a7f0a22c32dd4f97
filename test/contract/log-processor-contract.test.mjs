// The plugin's log record processor is the spans' batch queue, in place of the SDK's
// BatchLogRecordProcessor (docs/internals/upstream-parts.md, "The log batch processor"). It keeps
// the SDK processor's contract: the same scenarios run against both and must agree. Where they
// differ on purpose, each difference is reproduced here on both ("upstream does X, ours does Y"),
// so the document's reasons stay true for the SDK installed.
import { context, diag, DiagLogLevel, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { logs as logsApi } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { ExportResultCode, isTracingSuppressed } from '@opentelemetry/core'
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'

/** An exporter that records batches and, on request, holds them until released. */
class ProbeExporter {
  batches = []
  held = []
  hold = false
  seenContexts = []
  shutdowns = 0
  /** What the processor asked of the exporter, in order: `export:<bodies>`, `shutdown`. */
  calls = []
  export (records, done) {
    this.calls.push(`export:${records.map((r) => r.body).join(',')}`)
    this.seenContexts.push({
      activeSpan: trace.getActiveSpan()?.spanContext().spanId ?? null,
      suppressed: isTracingSuppressed(context.active())
    })
    const finish = () => {
      this.batches.push(records.map((r) => r.body))
      done({ code: ExportResultCode.SUCCESS })
    }
    if (this.hold) this.held.push(finish)
    else setImmediate(finish)
  }

  release () {
    for (const finish of this.held.splice(0)) finish()
  }

  async shutdown () {
    this.shutdowns++
    this.calls.push('shutdown')
  }

  async forceFlush () {}
  get exported () {
    return this.batches.flat()
  }
}

const limits = { maxQueueSize: 6, maxExportBatchSize: 2, scheduledDelayMillis: 60_000, exportTimeoutMillis: 5_000 }

/** The two implementations behind one surface: a logger, flush and shutdown. */
const implementations = {
  'SDK BatchLogRecordProcessor': async (t, exporter, overrides = {}) => {
    const { selfObsMeterProvider, ...batch } = overrides
    const metrics = selfObsMeterProvider ? { selfObsMeterProvider } : {}
    const processor = new BatchLogRecordProcessor({ exporter, ...limits, ...batch, ...metrics })
    const provider = new LoggerProvider({ processors: [processor] })
    if (context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())) {
      t.after(() => context.disable())
    }
    t.after(() => provider.shutdown().catch(() => {}))
    return {
      logger: provider.getLogger('contract'),
      forceFlush: () => provider.forceFlush(),
      shutdown: () => provider.shutdown(),
      tracer: trace.getTracer('contract')
    }
  },
  'fastify-otel-kit log processor': async (t, exporter, overrides = {}) => {
    const app = Fastify()
    t.after(() => app.close())
    await app.register(otelPlugin, {
      serviceName: 'contract',
      exporter: new InMemorySpanExporter(),
      handleSignals: false,
      logs: { exporter, batch: { ...limits, ...overrides } }
    })
    return {
      logger: logsApi.getLogger('contract'),
      forceFlush: () => app.otel.forceFlush(),
      shutdown: () => app.otel.shutdown(),
      tracer: app.otel.tracer,
      stats: () => app.otel.stats().logs
    }
  }
}

for (const [name, make] of Object.entries(implementations)) {
  describe(`contract: ${name}`, () => {
    test('exports every record, in batches of at most maxExportBatchSize, on forceFlush', async (t) => {
      const exporter = new ProbeExporter()
      const p = await make(t, exporter)
      for (const body of ['a', 'b', 'c']) p.logger.emit({ body })
      await p.forceFlush()
      assert.deepEqual(exporter.exported.sort(), ['a', 'b', 'c'])
      assert.ok(exporter.batches.every((b) => b.length <= limits.maxExportBatchSize))
    })

    test('drops records beyond maxQueueSize while an export is held, exports the rest', async (t) => {
      const exporter = new ProbeExporter()
      exporter.hold = true
      const p = await make(t, exporter)
      for (let i = 0; i < 12; i++) p.logger.emit({ body: `r${i}` })
      while (exporter.held.length === 0) await nextTurn()
      exporter.hold = false
      exporter.release()
      await p.forceFlush()
      // 2 left at once as a full batch, 6 fitted the queue, the other 4 were dropped.
      assert.equal(exporter.exported.length, 8)
    })

    test('shutdown flushes what is queued and shuts the exporter down once; later records are ignored', async (t) => {
      const exporter = new ProbeExporter()
      const p = await make(t, exporter)
      p.logger.emit({ body: 'before' })
      await p.shutdown()
      p.logger.emit({ body: 'after' })
      await p.shutdown()
      assert.deepEqual(exporter.exported, ['before'])
      assert.equal(exporter.shutdowns, 1)
    })
  })
}

const SDK = 'SDK BatchLogRecordProcessor'
const OURS = 'fastify-otel-kit log processor'
const FIXED = (what) => `fixed upstream (${what}): update docs/internals/upstream-parts.md and simplify our part`

describe('upstream does X, ours does Y (docs/internals/upstream-parts.md, "The log batch processor")', () => {
  test('defect 1: the SDK exports in the context of the emit that filled the batch; ' +
    'ours in the root context', async (t) => {
    const seen = {}
    for (const [name, make] of Object.entries(implementations)) {
      const exporter = new ProbeExporter()
      const p = await make(t, exporter)
      const span = p.tracer.startSpan('request')
      context.with(trace.setSpan(ROOT_CONTEXT, span), () => {
        for (let i = 0; i < 2; i++) p.logger.emit({ body: `in-request-${i}` })
      })
      span.end()
      await p.forceFlush()
      seen[name] = exporter.seenContexts
      await p.shutdown()
    }
    assert.ok(
      seen['SDK BatchLogRecordProcessor'].some((c) => c.activeSpan !== null),
      FIXED('export context')
    )
    assert.ok(seen['SDK BatchLogRecordProcessor'].every((c) => c.suppressed))
    assert.ok(seen['fastify-otel-kit log processor'].every((c) => c.activeSpan === null && c.suppressed))
  })

  test("defect 2: a forceFlush during another: the SDK's returns before the export; ours waits for it", async (t) => {
    const returnedEarly = {}
    for (const [name, make] of Object.entries(implementations)) {
      const exporter = new ProbeExporter()
      exporter.hold = true
      const p = await make(t, exporter)
      p.logger.emit({ body: 'one' })
      const first = p.forceFlush()
      while (exporter.held.length === 0) await nextTurn()
      // Say, a SIGTERM flush while close is flushing.
      let secondDone = false
      const second = p.forceFlush().then(() => {
        secondDone = true
      })
      for (let i = 0; i < 20; i++) await nextTurn()
      returnedEarly[name] = secondDone && exporter.exported.length === 0
      exporter.hold = false
      exporter.release()
      await Promise.all([first, second])
      await p.shutdown()
    }
    assert.equal(returnedEarly['SDK BatchLogRecordProcessor'], true, FIXED('a second forceFlush waits'))
    assert.equal(returnedEarly['fastify-otel-kit log processor'], false)
  })

  // Without a MeterProvider the SDK processor's meter is a no-op.
  test('defect 3: the SDK drops as ours does but says nothing; ours counts them in stats()', async (t) => {
    const diagnostics = []
    diag.setLogger(
      {
        error: (m) => diagnostics.push(m),
        warn: (m) => diagnostics.push(m),
        info: (m) => diagnostics.push(m),
        debug: (m) => diagnostics.push(m),
        verbose: (m) => diagnostics.push(m)
      },
      DiagLogLevel.ALL
    )
    t.after(() => diag.disable())
    const sdkExporter = new ProbeExporter()
    sdkExporter.hold = true
    const sdk = await implementations['SDK BatchLogRecordProcessor'](t, sdkExporter)
    for (let i = 0; i < 12; i++) sdk.logger.emit({ body: `r${i}` })
    while (sdkExporter.held.length === 0) await nextTurn()
    sdkExporter.hold = false
    sdkExporter.release()
    await sdk.forceFlush()
    // Four records lost, and nothing anywhere a person would read says so.
    assert.equal(sdkExporter.exported.length, 8)
    assert.deepEqual(
      diagnostics.filter((m) => /drop|queue|full/i.test(String(m))),
      []
    )

    const exporter = new ProbeExporter()
    exporter.hold = true
    const ours = await implementations['fastify-otel-kit log processor'](t, exporter)
    for (let i = 0; i < 12; i++) ours.logger.emit({ body: `r${i}` })
    assert.equal(ours.stats().dropped, 4)
    exporter.hold = false
    exporter.release()
    await ours.shutdown()
    assert.deepEqual(exporter.exported.length, 8)
  })

  test("defect 3b: the SDK's metrics leave out records under export and after shutdown; " +
    'our books balance', async (t) => {
    const reader = new (class extends MetricReader {
      async onShutdown () {}
      async onForceFlush () {}
    })()
    const meterProvider = new MeterProvider({ readers: [reader] })
    t.after(() => meterProvider.shutdown())
    const counted = async () => {
      const { resourceMetrics } = await reader.collect()
      const books = { processed: 0, dropped: 0, failed: 0, queueSize: 0 }
      for (const metric of resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)) {
        for (const point of metric.dataPoints) {
          const errorType = point.attributes['error.type']
          if (metric.descriptor.name === 'otel.sdk.processor.log.queue.size') books.queueSize += point.value
          if (metric.descriptor.name !== 'otel.sdk.processor.log.processed') continue
          if (errorType === undefined) books.processed += point.value
          else if (errorType === 'queue_full') books.dropped += point.value
          else books.failed += point.value
        }
      }
      return books
    }
    const exporter = new ProbeExporter()
    exporter.hold = true
    const sdk = await implementations[SDK](t, exporter, { selfObsMeterProvider: meterProvider })
    for (const body of ['a', 'b', 'c', 'd', 'e']) sdk.logger.emit({ body })
    while (exporter.held.length === 0) await nextTurn()
    // Five records: two under export, three queued; the first two are in no figure.
    const underExport = { processed: 0, dropped: 0, failed: 0, queueSize: 3 }
    assert.deepEqual(await counted(), underExport, FIXED('records under export counted'))
    exporter.hold = false
    exporter.release()
    await sdk.shutdown()
    sdk.logger.emit({ body: 'after-shutdown' })
    const { queueSize, ...after } = await counted()
    assert.deepEqual(after, { processed: 5, dropped: 0, failed: 0 }, FIXED('refused records counted'))

    const ourExporter = new ProbeExporter()
    ourExporter.hold = true
    const ours = await implementations[OURS](t, ourExporter)
    for (const body of ['a', 'b', 'c', 'd', 'e']) ours.logger.emit({ body })
    while (ourExporter.held.length === 0) await nextTurn()
    const books = ({ created, queued, exported, dropped, failed }) => ({ created, queued, exported, dropped, failed })
    assert.deepEqual(books(ours.stats()), { created: 5, queued: 5, exported: 0, dropped: 0, failed: 0 })
    ourExporter.hold = false
    ourExporter.release()
    await ours.shutdown()
    // (A record emitted now never reaches our processor: close unregisters the plugin's
    // LoggerProvider. Spans refused after shutdown are counted: batch-processor-contract, defect 5a.)
    assert.deepEqual(books(ours.stats()), { created: 5, queued: 0, exported: 5, dropped: 0, failed: 0 })
  })

  test('defect 4: shutdown during a forceFlush: the SDK shuts the exporter, then exports; ' +
    'ours the other way', async (t) => {
    const calls = {}
    for (const [name, make] of Object.entries(implementations)) {
      const exporter = new ProbeExporter()
      const p = await make(t, exporter)
      // Three records: one full batch and one more; the flush's first export is held.
      exporter.hold = true
      for (const body of ['a', 'b', 'c']) p.logger.emit({ body })
      while (exporter.held.length === 0) await nextTurn()
      const flush = p.forceFlush()
      // Say, SIGTERM arrives while a periodic flush is under way.
      const shutdown = p.shutdown()
      for (let i = 0; i < 20; i++) await nextTurn()
      exporter.hold = false
      exporter.release()
      await Promise.all([flush, shutdown])
      calls[name] = exporter.calls
    }
    const exportAfterShutdown = ['export:a,b', 'shutdown', 'export:c']
    assert.deepEqual(calls[SDK], exportAfterShutdown, FIXED('shutdown waits for a flush under way'))
    assert.deepEqual(calls[OURS], ['export:a,b', 'export:c', 'shutdown'])
  })

  // Ours holds at most maxQueueSize and the batch being exported.
  test("defect 5: during a forceFlush the SDK's queue holds up to twice maxQueueSize; ours does not", async (t) => {
    const held = {}
    for (const [name, make] of Object.entries(implementations)) {
      const exporter = new ProbeExporter()
      exporter.hold = true
      const p = await make(t, exporter)
      // A full queue: one batch under way (held), the rest waiting.
      for (let i = 0; i < limits.maxQueueSize; i++) p.logger.emit({ body: `first-${i}` })
      while (exporter.held.length === 0) await nextTurn()
      const flush = p.forceFlush()
      for (let i = 0; i < limits.maxQueueSize; i++) p.logger.emit({ body: `during-${i}` })
      exporter.hold = false
      exporter.release()
      await flush
      await p.shutdown()
      held[name] = exporter.exported.length
    }
    assert.equal(held[SDK], 2 * limits.maxQueueSize, FIXED('queue bound during a flush'))
    assert.equal(held[OURS], limits.maxQueueSize + limits.maxExportBatchSize)
  })
})
