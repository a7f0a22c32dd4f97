// The export pipeline as a user sees it through app.otel.stats() and the log: a bounded queue,
// counted drops, failed and timed-out exports that never stop later batches, no concurrent export.
import { ExportResultCode } from '@opentelemetry/core'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { tracedApp } from '../helpers.mjs'

/** An exporter whose export calls finish only when the test says so. */
class GatedExporter {
  pending = []
  delivered = []
  inFlight = 0
  maxInFlight = 0
  export (spans, done) {
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    this.pending.push(() => {
      this.inFlight--
      this.delivered.push(...spans)
      done({ code: ExportResultCode.SUCCESS })
    })
  }

  releaseAll () {
    for (const release of this.pending.splice(0)) release()
  }

  async shutdown () {}

  /** Releases every export until `work` settles (exports start asynchronously). */
  async releaseUntil (work) {
    let settled = false
    const result = work.finally(() => {
      settled = true
    })
    // eslint-disable-next-line no-unmodified-loop-condition -- work's finally sets it while the loop awaits
    while (!settled) {
      this.releaseAll()
      await nextTurn()
    }
    return result
  }

  /** Waits until `count` exports are being held. */
  async held (count) {
    while (this.pending.length < count) await nextTurn()
  }
}

test('a full queue drops new spans, counts them and warns once per interval', async (t) => {
  const exporter = new GatedExporter()
  const { app, logs } = await tracedApp(t, {
    options: { exporter, batch: { maxQueueSize: 4, maxExportBatchSize: 2, scheduledDelayMillis: 60_000 } }
  })
  app.get('/', async () => 'ok')
  // The first 2 spans leave as one batch, which the exporter holds; 4 more fill the queue; 3 drop.
  for (let i = 0; i < 9; i++) await app.inject({ url: '/' })
  await exporter.held(1)
  // Held by the exporter (2) and waiting (4) are both still queued: the books balance at every moment.
  assert.deepEqual(app.otel.stats(), {
    created: 9,
    queued: 6,
    exported: 0,
    dropped: 3,
    failed: 0,
    retries: 0,
    lostInWorkers: 0
  })
  const dropWarnings = logs.lines.filter((l) => /dropped \d+ span\(s\) because the export queue is full/.test(l.msg))
  assert.equal(dropWarnings.length, 1)
  assert.match(dropWarnings[0].msg, /batch.maxQueueSize 4\)\. Raise maxQueueSize/)

  await exporter.releaseUntil(app.otel.forceFlush())
  assert.deepEqual(app.otel.stats(), {
    created: 9,
    queued: 0,
    exported: 6,
    dropped: 3,
    failed: 0,
    retries: 0,
    lostInWorkers: 0
  })
  assert.equal(exporter.delivered.length, 6)
  assert.equal(exporter.maxInFlight, 1, 'export was called concurrently')
})

test('a failed export is counted and warned about; the next batch still goes through', async (t) => {
  let calls = 0
  const received = []
  const exporter = {
    export (spans, done) {
      calls++
      if (calls === 1) return done({ code: ExportResultCode.FAILED, error: new Error('collector said no') })
      received.push(...spans)
      done({ code: ExportResultCode.SUCCESS })
    },
    async shutdown () {}
  }
  const { app, logs } = await tracedApp(t, { options: { exporter } })
  app.get('/', async () => 'ok')
  await app.inject({ url: '/' })
  await app.otel.forceFlush()
  await app.inject({ url: '/' })
  await app.otel.forceFlush()
  assert.deepEqual(app.otel.stats(), {
    created: 2,
    queued: 0,
    exported: 1,
    dropped: 0,
    failed: 1,
    retries: 0,
    lostInWorkers: 0
  })
  assert.equal(received.length, 1)
  assert.ok(
    logs
      .messages()
      .includes(
        'fastify-otel-kit: could not export 1 span(s) to the exporter: collector said no. ' +
          'The service is not affected; these spans are lost.'
      )
  )
})

test('an export that never answers times out after exportTimeoutMillis and does not block the pipeline', async (t) => {
  let calls = 0
  const received = []
  const exporter = {
    export (spans, done) {
      if (++calls === 1) return // never calls back
      received.push(...spans)
      done({ code: ExportResultCode.SUCCESS })
    },
    async shutdown () {}
  }
  const { app } = await tracedApp(t, { options: { exporter, batch: { exportTimeoutMillis: 50 } } })
  app.get('/', async () => 'ok')
  await app.inject({ url: '/' })
  await app.otel.forceFlush()
  await app.inject({ url: '/' })
  await app.otel.forceFlush()
  assert.equal(app.otel.stats().failed, 1)
  assert.equal(received.length, 1)
})

test('an exporter that throws is contained: the request is served, the spans counted as failed', async (t) => {
  const exporter = {
    export () {
      throw new Error('exporter bug')
    },
    async shutdown () {}
  }
  const { app } = await tracedApp(t, { options: { exporter } })
  app.get('/', async () => 'ok')
  const res = await app.inject({ url: '/' })
  assert.equal(res.statusCode, 200)
  await app.otel.forceFlush()
  assert.equal(app.otel.stats().failed, 1)
})

test('a full batch is exported at once, without waiting for the schedule delay', async (t) => {
  const exporter = new GatedExporter()
  const { app } = await tracedApp(t, {
    options: { exporter, batch: { maxQueueSize: 10, maxExportBatchSize: 3, scheduledDelayMillis: 60_000 } }
  })
  app.get('/', async () => 'ok')
  for (let i = 0; i < 3; i++) await app.inject({ url: '/' })
  // No flush was asked for and the delay is a minute: only the full batch can trigger this export.
  await exporter.held(1)
  await exporter.releaseUntil(app.otel.forceFlush())
  assert.equal(exporter.delivered.length, 3)
})
