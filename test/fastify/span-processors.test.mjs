// The application's own span processors (option spanProcessors) see every span the package makes,
// with the SDK's whole call sequence, before the plugin's batch processor exports them.
import { SpanKind } from '@opentelemetry/api'
import { withSpan } from 'fastify-otel-kit'
import { runInWorker } from 'fastify-otel-kit/workers'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { idOf, parentOf, sampledParent, tracedApp } from '../helpers.mjs'

const plainWorker = fileURLToPath(new URL('../fixtures/plain-worker.mjs', import.meta.url))

/**
 * Records what a processor is told, as the SDK's contract describes it: onStart with the parent
 * context, onEnding while the span can still change (it adds an attribute then), onEnd once ended.
 */
class RecordingProcessor {
  calls = []
  flushes = 0
  shutdowns = 0
  onStart (span, parentContext) {
    const parent = parentContext.getValue(Symbol.for('OpenTelemetry Context Key SPAN'))
    this.calls.push({
      method: 'onStart',
      name: span.name,
      spanId: span.spanContext().spanId,
      parentId: parent?.spanContext().spanId,
      recording: span.isRecording()
    })
  }

  onEnding (span) {
    span.setAttribute('enriched.at', 'onEnding')
    this.calls.push({
      method: 'onEnding',
      name: span.name,
      spanId: span.spanContext().spanId,
      recording: span.isRecording(),
      ended: span.ended
    })
  }

  onEnd (span) {
    this.calls.push({ method: 'onEnd', name: span.name, spanId: span.spanContext().spanId, ended: span.ended })
  }

  async forceFlush () {
    this.flushes++
  }

  async shutdown () {
    this.shutdowns++
  }

  sequenceOf (spanId) {
    return this.calls.filter((c) => c.spanId === spanId).map((c) => c.method)
  }
}

test('a user processor sees the request, domain, dispatch, task and worker spans start and end, ' +
  "in the SDK's order", async (t) => {
  const processor = new RecordingProcessor()
  const pool = new Piscina({ filename: plainWorker, maxThreads: 1 })
  t.after(() => pool.destroy())
  const { app, spans } = await tracedApp(t, { options: { spanProcessors: [processor] } })
  app.post('/refunds/:id', async (request) =>
    withSpan('refund.process', async () => runInWorker(pool, { id: request.params.id }))
  )
  const res = await app.inject({ method: 'POST', url: '/refunds/7', headers: { traceparent: sampledParent } })
  assert.equal(res.statusCode, 200)
  const exported = await spans()
  const names = [
    'POST /refunds/:id',
    'refund.process',
    'worker.dispatch plain-worker',
    'worker.task plain-worker',
    'receipt.render',
    'receipt.hash'
  ]
  assert.deepEqual(exported.map((s) => s.name).sort(), [...names].sort())
  for (const span of exported) {
    assert.deepEqual(processor.sequenceOf(idOf(span)), ['onStart', 'onEnding', 'onEnd'], span.name)
    const start = processor.calls.find((c) => c.spanId === idOf(span) && c.method === 'onStart')
    // onStart gets the parent's context: the parent span of each span, or the remote caller.
    assert.equal(start.parentId, parentOf(span), `${span.name}: parent in onStart`)
    assert.equal(start.recording, true)
    const ending = processor.calls.find((c) => c.spanId === idOf(span) && c.method === 'onEnding')
    assert.deepEqual([ending.recording, ending.ended], [true, false], `${span.name}: writable in onEnding`)
    assert.equal(processor.calls.find((c) => c.spanId === idOf(span) && c.method === 'onEnd').ended, true)
    // What the user's processor added in onEnding is exported: it runs before the batch processor.
    assert.equal(span.attributes['enriched.at'], 'onEnding', `${span.name}: enrichment exported`)
  }
  // The relayed worker spans keep their identity: the worker's thread and their own scope.
  const render = exported.find((s) => s.name === 'receipt.render')
  assert.equal(render.instrumentationScope.name, 'receipts')
  assert.equal(typeof render.attributes['thread.id'], 'number')
  assert.equal(exported.find((s) => s.name === 'POST /refunds/:id').kind, SpanKind.SERVER)
})

test('forceFlush and shutdown reach the user processors', async (t) => {
  const processor = new RecordingProcessor()
  const { app } = await tracedApp(t, { options: { spanProcessors: [processor] } })
  await app.otel.forceFlush()
  assert.equal(processor.flushes, 1)
  await app.close()
  assert.equal(processor.shutdowns, 1)
})

test('a user processor that throws never fails a request, and the spans are still exported', async (t) => {
  const broken = {
    onStart () {
      throw new Error('bug in onStart')
    },
    onEnding () {
      throw new Error('bug in onEnding')
    },
    onEnd () {
      throw new Error('bug in onEnd')
    },
    async forceFlush () {},
    async shutdown () {}
  }
  const { app, spans } = await tracedApp(t, { options: { spanProcessors: [broken] } })
  app.get('/', async () => withSpan('inner', () => 'ok'))
  const res = await app.inject({ url: '/' })
  assert.equal(res.statusCode, 200)
  assert.deepEqual((await spans()).map((s) => s.name).sort(), ['GET /', 'inner'])
})

test('spanProcessors must be an array of span processors', async (t) => {
  const Fastify = (await import('fastify')).default
  const otelPlugin = (await import('fastify-otel-kit')).default
  const attempt = async (spanProcessors) => {
    const app = Fastify()
    t.after(() => app.close())
    await app.register(otelPlugin, { serviceName: 's', handleSignals: false, spanProcessors })
  }
  await assert.rejects(attempt({ onEnd () {} }), {
    code: 'FOK_ERR_INVALID_OPTION',
    message: 'fastify-otel-kit: option "spanProcessors" must be an array of SpanProcessor objects; received an object.'
  })
  await assert.rejects(attempt([{ onStart () {}, onEnd () {} }]), {
    code: 'FOK_ERR_INVALID_OPTION',
    message:
      'fastify-otel-kit: option "spanProcessors[0]" must be a SpanProcessor ' +
        '(methods onStart, onEnd, forceFlush, shutdown; onEnding optional); received an object.'
  })
})

test('an SDK 3 processor built the SDK 2 way (exporter as first argument) is a coded error at registration, ' +
  'not a crash at its first export', async () => {
  const { BatchSpanProcessor, SimpleSpanProcessor, InMemorySpanExporter } = await import('@opentelemetry/sdk-trace')
  const { default: Fastify } = await import('fastify')
  const { default: otelPlugin } = await import('fastify-otel-kit')
  const exporter = new InMemorySpanExporter()
  for (const Processor of [BatchSpanProcessor, SimpleSpanProcessor]) {
    const app = Fastify()
    app.register(otelPlugin, { handleSignals: false, exporter, spanProcessors: [new Processor(exporter)] })
    await assert.rejects(app.ready(), (error) => {
      assert.equal(error.code, 'FOK_ERR_INVALID_OPTION')
      assert.match(
        error.message,
        new RegExp(
          'option "spanProcessors\\[0\\]" must be built with an options object on SDK 3: ' +
            `new ${Processor.name}\\(\\{ exporter \\}\\)`
        )
      )
      return true
    })
    await app.close()
  }
  // Built the SDK 3 way they are taken; the private field the check reads is where it expects
  // (this fails when upstream renames it, and the check above would then stop firing).
  const batch = new BatchSpanProcessor({ exporter })
  assert.equal(batch._exporter, exporter)
  assert.equal(new SimpleSpanProcessor({ exporter })._exporter, exporter)
  const app = Fastify()
  await app.register(otelPlugin, { handleSignals: false, exporter, spanProcessors: [batch] })
  await app.close()
})
