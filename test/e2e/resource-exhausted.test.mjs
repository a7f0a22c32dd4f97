// RESOURCE_EXHAUSTED means two things: a request over the collector's size limit (split it and send
// the halves), or a quota or rate limit (send less). Only the first may be split: splitting a
// throttled batch of n down to single spans sent up to 2n-1 requests to a backend that had asked
// for fewer. Against the real receiver, counting the requests it saw.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

const BATCH = 64
const THROTTLED = { code: 8, message: 'quota exceeded for tenant acme, try again later' }

async function pipeline (t, receiverOptions = {}) {
  const receiver = await OtlpReceiver.start(receiverOptions)
  // Failed exports are warned about through the logger; these tests count requests instead.
  const app = Fastify({ logger: { level: 'warn', stream: { write () {} } } })
  t.after(async () => {
    await app.close()
    await receiver.stop()
  })
  await app.register(otelPlugin, {
    serviceName: 'resource-exhausted',
    handleSignals: false,
    shutdownTimeoutMillis: 3000,
    // Span export only: a metrics export would take the failures the receiver is told to give.
    metrics: false,
    exporter: { protocol: 'grpc', endpoint: receiver.endpoint },
    batch: { maxExportBatchSize: BATCH, scheduledDelayMillis: 60_000 }
  })
  return { receiver, app }
}

/** One full batch of spans of about 2 KB each, exported. */
async function exportBatch (app) {
  for (let i = 0; i < BATCH; i++) {
    app.otel.tracer.startSpan(`work-${i}`, { attributes: { payload: 'x'.repeat(2000) } }).end()
  }
  await app.otel.forceFlush()
}

const books = ({ created, queued, exported, dropped, failed, retries }) => ({
  created,
  queued,
  exported,
  dropped,
  failed,
  retries
})

test('a throttling collector (RESOURCE_EXHAUSTED, no RetryInfo, no size named): one request, the batch fails, ' +
  'nothing is split', async (t) => {
  const { receiver, app } = await pipeline(t)
  receiver.failNext(...Array.from({ length: 2 * BATCH }, () => THROTTLED))
  await exportBatch(app)
  assert.deepEqual(
    receiver.exports.map((e) => [e.spanCount, e.code]),
    [[BATCH, 8]]
  )
  assert.deepEqual(books(app.otel.stats()), {
    created: BATCH,
    queued: 0,
    exported: 0,
    dropped: 0,
    failed: BATCH,
    retries: 0
  })
})

test('a collector refusing a request for its size by message: ' +
  'the batch is split once and both halves arrive', async (t) => {
  const { receiver, app } = await pipeline(t)
  // grpc-go's wording when a request is over the server's limit.
  receiver.failNext({ code: 8, message: 'grpc: received message larger than max (150000 vs. 100000)' })
  await exportBatch(app)
  assert.deepEqual(
    receiver.exports.map((e) => [e.spanCount, e.code]),
    [
      [BATCH, 8],
      [BATCH / 2, 0],
      [BATCH / 2, 0]
    ]
  )
  assert.deepEqual(books(app.otel.stats()), {
    created: BATCH,
    queued: 0,
    exported: BATCH,
    dropped: 0,
    failed: 0,
    retries: 0
  })
})

test('split for size, then throttled: the split stops at the first throttled half', async (t) => {
  // A batch is over this limit (gRPC refuses it before the receiver's handler); its halves fit.
  const { receiver, app } = await pipeline(t, { maxReceiveMessageBytes: 100 * 1024 })
  receiver.failNext(...Array.from({ length: 2 * BATCH }, () => THROTTLED))
  await exportBatch(app)
  assert.deepEqual(
    receiver.exports.map((e) => [e.spanCount, e.code]),
    [[BATCH / 2, 8]]
  )
  assert.deepEqual(books(app.otel.stats()), {
    created: BATCH,
    queued: 0,
    exported: 0,
    dropped: 0,
    failed: BATCH,
    retries: 0
  })
})
