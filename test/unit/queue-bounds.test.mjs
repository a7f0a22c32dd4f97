// The queue's byte bound, the retry budget's defaults (a collector that restarts within it loses
// nothing the queue holds), and the span queue of encoded spans (sdk/export/batch-queue.ts,
// sdk/export/retrying-exporter.ts, sdk/traces/span-queue-encoding.ts), in process on a fake clock.
// The books are checked after every step: created = exported + dropped + failed + queued.
import { SpanKind } from '@opentelemetry/api'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RETRY_BUDGET_MILLIS,
  DEFAULT_RETRY_POLICY
} from '../../dist/sdk/config/retry-policy.js'
import { RetryingExporter } from '../../dist/sdk/export/retrying-exporter.js'
import { classifyFailure } from '../../dist/sdk/export/failure.js'
import { BatchLogProcessor } from '../../dist/sdk/logs/batch-log-processor.js'
import { BatchExportProcessor } from '../../dist/sdk/traces/batch-span-processor.js'
import { encodedSpanSerializer } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { encodedSpans, measuredSpans } from '../../dist/sdk/traces/span-queue-encoding.js'
import { assertBooks, controlledExporter, failed, settle, SUCCESS } from './unit-helpers.mjs'

const SAMPLED = Object.freeze({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 })
const LIMITS = Object.freeze({
  maxQueueSize: 100,
  scheduledDelayMillis: 1000,
  maxExportBatchSize: 2,
  exportTimeoutMillis: 30000
})

/** An item of `bytes` bytes as the test's encoding measures it. */
const item = (n, bytes = 10) => ({ n, bytes, resource: {}, spanContext: () => SAMPLED })
const bySize = { measure: (it) => it.bytes, commit: (it) => it }

const unavailable = () =>
  classifyFailure(new Error('14 UNAVAILABLE: connect ECONNREFUSED'), { kind: 'transient', unreachable: true })
const slow = () => classifyFailure(new Error('4 DEADLINE_EXCEEDED'), { kind: 'transient' })

/** A span processor on a fake clock (timers and Date), the retry budget measured on it. */
function setup (t, limits = {}, encoding = bySize) {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const exporter = controlledExporter()
  const drops = []
  const failures = []
  const queue = new BatchExportProcessor(
    exporter,
    { ...LIMITS, ...limits },
    {
      onDrop: (total, reason) => drops.push(reason),
      onExportFailure: (count, error) => failures.push([count, error?.message])
    },
    encoding
  )
  return { queue, exporter, drops, failures }
}

describe('the byte bound', () => {
  const beyondBytes =
    'items beyond maxQueueBytes are dropped as queue-bytes; the batch under way counts; bytes free up as batches settle'
  test(beyondBytes, async (t) => {
    const { queue, exporter, drops } = setup(t, { maxQueueBytes: 100 })
    queue.onEnd(item(0, 40))
    queue.onEnd(item(1, 40))
    await settle()
    assert.deepEqual(exporter.batches(), [[0, 1]], 'a full batch goes at once')
    assert.equal(queue.pendingBytes, 80)
    queue.onEnd(item(2, 30)) // 80 + 30 > 100
    queue.onEnd(item(3, 20)) // 80 + 20 fits
    assert.deepEqual(drops, ['queue-bytes'])
    assertBooks(queue, { created: 4, queued: 3, dropped: 1 })
    assert.equal(queue.pendingBytes, 100)
    exporter.open().done(SUCCESS)
    await settle()
    assert.equal(queue.pendingBytes, 20)
    queue.onEnd(item(4, 80))
    assert.deepEqual(drops, ['queue-bytes'], 'room again once the batch settled')
    assertBooks(queue, { created: 5, queued: 2, exported: 2, dropped: 1 })
  })

  test('one item larger than the whole bound is dropped, and the count bound still applies first', async (t) => {
    const { queue, drops } = setup(t, { maxQueueBytes: 100, maxQueueSize: 2, maxExportBatchSize: 5 })
    queue.onEnd(item(0, 101))
    queue.onEnd(item(1, 1))
    queue.onEnd(item(2, 1))
    queue.onEnd(item(3, 1))
    assert.deepEqual(drops, ['queue-bytes', 'queue-full'])
    assertBooks(queue, { created: 4, queued: 2, dropped: 2 })
    // The health metrics' books: a byte bound reached is a full queue too (error.type queue_full).
    const books = queue.books()
    assert.equal(books.droppedQueueFull, 2)
    assert.equal(books.droppedShuttingDown, 0)
  })

  test('an item the encoding cannot measure is lost alone, counted as failed', async (t) => {
    const { queue, failures } = setup(t, { maxQueueBytes: 100 }, {
      measure: (it) => {
        if (it.n === 1) throw new Error('a getter that throws')
        return 1
      },
      commit: (it) => it
    })
    queue.onEnd(item(0))
    queue.onEnd(item(1))
    queue.onEnd(item(2))
    assert.deepEqual(failures, [[1, 'a getter that throws']])
    assertBooks(queue, { created: 3, queued: 2, failed: 1 })
    // The health metrics' books add up: created = submitted + dropped + waiting, submitted = exported
    // + failed + in flight; the item that could not be encoded is submitted and failed as 'encoding'.
    await settle()
    const books = queue.books()
    assert.equal(books.failed.get('encoding'), 1)
    const failed = [...books.failed.values()].reduce((a, b) => a + b, 0)
    assert.equal(books.submitted, books.exported + failed + books.inFlight)
    assert.equal(
      books.created,
      books.submitted + books.droppedQueueFull + books.droppedShuttingDown + books.abandonedInQueue + books.waiting
    )
  })

  test('abandon at the shutdown bound frees every byte', async (t) => {
    const { queue, exporter } = setup(t, { maxQueueBytes: 100 })
    for (let i = 0; i < 3; i++) queue.onEnd(item(i, 30))
    await settle()
    assert.equal(exporter.batches().length, 1)
    assert.equal(queue.abandon(), 3)
    assert.equal(queue.pendingBytes, 0)
  })
})

describe('the retry budget: one export keeps trying while the collector restarts', () => {
  /** The retrying exporter with the package's defaults (config: no attempt limit, a 60 s budget). */
  function retrying (t) {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
    t.mock.method(performance, 'now', () => Date.now())
    const inner = controlledExporter({ key: (x) => x })
    const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: DEFAULT_MAX_ATTEMPTS }
    const deadline = { exportTimeoutMillis: DEFAULT_RETRY_BUDGET_MILLIS, attemptTimeoutMillis: 10_000 }
    const exporter = new RetryingExporter(inner, policy, deadline, () => 0.5)
    const results = []
    exporter.export(['batch'], (result) => results.push(result))
    return { inner, exporter, results }
  }

  const everySecond =
    'by default, an unreachable collector is tried about every second for 30 s and more; the batch then goes'
  test(everySecond, async (t) => {
    const { inner, exporter, results } = retrying(t)
    for (let second = 0; second < 30; second++) {
      inner.open().done(failed(unavailable()))
      t.mock.timers.tick(1000)
    }
    inner.open().done(SUCCESS)
    assert.deepEqual(results, [SUCCESS])
    assert.equal(exporter.retryCount, 30)
  })

  test('by default, it gives up when the next attempt could not end within 60 s: 50 s into an outage', (t) => {
    const { inner, exporter, results } = retrying(t)
    while (results.length === 0) {
      inner.open().done(failed(unavailable()))
      if (results.length === 0) t.mock.timers.tick(1000)
    }
    // The last attempt started at 60 s less one attempt's timeout (10 s); the next could not end in time.
    assert.equal(Date.now(), 50_000)
    assert.equal(exporter.retryCount, 50)
    assert.equal(results[0].error.message, '14 UNAVAILABLE: connect ECONNREFUSED')
  })

  test('a collector that answers slowly is waited for with backoff up to 5 s, within the same budget', (t) => {
    const { inner, results } = retrying(t)
    const starts = []
    while (results.length === 0) {
      starts.push(Date.now())
      inner.open().done(failed(slow()))
      while (results.length === 0 && inner.calls.every((c) => c.settled)) {
        t.mock.timers.tick(125)
      }
    }
    const pauses = starts.slice(1).map((at, i) => at - starts[i])
    assert.deepEqual(pauses.slice(0, 6), [1000, 1500, 2250, 3375, 5000, 5000])
    assert.ok(Date.now() <= DEFAULT_RETRY_BUDGET_MILLIS)
  })
})

describe('the log queue: the same bounds, bodies cut on the way in', () => {
  test('a record emitted through the SDK Logger has its string body cut at bodyLengthLimit, maps too', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const exporter = controlledExporter({ key: (r) => r.body })
    const processor = new BatchLogProcessor(exporter, { ...LIMITS, maxExportBatchSize: 3 }, {}, undefined, 5)
    const bodies = ['0123456789', { nested: ['abcdefgh', 1] }, 'short']
    for (const body of bodies) {
      let current = body
      processor.onEmit({ resource: {}, get body () { return current }, setBody: (b) => { current = b } })
    }
    await settle()
    assert.deepEqual(exporter.batches(), [['01234', { nested: ['abcde', 1] }, 'short']])
  })
})

describe('the span queue of encoded spans (OTLP protobuf)', () => {
  const protos = fileURLToPath(new URL('../fixtures/opentelemetry-proto/', import.meta.url))
  const root = new protobuf.Root()
  root.resolvePath = (_origin, target) => protos + target
  root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto'])
  const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest')
  const decode = (bytes) => Request.toObject(Request.decode(bytes), { longs: String, bytes: String })

  function spans (count, make) {
    const ended = []
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'queue-test' }),
      spanProcessors: [
        { onStart () {}, onEnd: (s) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }
      ]
    })
    const tracers = [provider.getTracer('a', '1'), provider.getTracer('b')]
    for (let i = 0; i < count; i++) make(tracers[i % 2], i)
    return ended
  }

  const asUpstream =
    'a batch of spans held as bytes is sent as the request upstream would write for the spans themselves'
  test(asUpstream, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const requests = []
    const serializer = encodedSpanSerializer()
    const exporter = {
      export (items, done) {
        requests.push(serializer.serializeRequest(items))
        done(SUCCESS)
      },
      async shutdown () {}
    }
    const queue = new BatchExportProcessor(exporter, { ...LIMITS, maxExportBatchSize: 7 }, {}, encodedSpans())
    const ended = spans(7, (tracer, i) => {
      const span = tracer.startSpan(`span ${i}`, { kind: SpanKind.SERVER, attributes: { i, text: 'é'.repeat(i * 40) } })
      span.addEvent('event', { n: i })
      span.end()
    })
    for (const span of ended) queue.onEnd(span)
    await settle()
    assert.equal(requests.length, 1)
    assert.deepEqual(decode(requests[0]), decode(ProtobufTraceSerializer.serializeRequest(ended)))
    assertBooks(queue, { created: 7, exported: 7 })
  })

  const encodedSize =
    'the byte bound counts each span at its encoded size, the same whether the queue holds bytes or spans'
  test(encodedSize, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const ended = spans(1, (tracer) => tracer.startSpan('one', { attributes: { a: 'x'.repeat(1000) } }).end())
    const size = ProtobufTraceSerializer.serializeRequest(ended).length
    for (const encoding of [encodedSpans(), measuredSpans()]) {
      const measured = encoding.measure(ended[0])
      // The request adds the resource and scope around the span: the span's own entry is less.
      assert.ok(measured > 1000 && measured < size, `${measured} vs a request of ${size}`)
    }
    assert.equal(encodedSpans().measure(ended[0]), measuredSpans().measure(ended[0]))
  })
})
