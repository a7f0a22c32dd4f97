// With an SDK the application registered itself, the request span is ended by the plugin in the
// response's 'close' listener; the application's MultiSpanProcessor does not catch a processor
// that throws, so the plugin must: the request succeeds, the process goes on, the throw is reported.
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { logCapture, registerApplicationSdk, serve } from '../helpers.mjs'

test("a span processor of the application's SDK that throws in onEnd: the request succeeds, the process goes on, " +
  'the error is logged', async (t) => {
  const exporter = new InMemorySpanExporter()
  const throwing = {
    onStart () {},
    onEnd () {
      throw new Error('processor bug')
    },
    async forceFlush () {},
    async shutdown () {}
  }
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter }), throwing] })
  registerApplicationSdk(t, provider)
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  t.after(() => app.close())
  // Lifecycle spans off: a slow phase on a busy machine (a 'response' span) would add to the names compared below.
  await app.register(otelPlugin, { handleSignals: false, lifecycleSpans: 'off' })
  assert.equal(app.otel.owner, 'application')
  app.get('/pay', async () => ({ ok: true }))
  const base = await serve(app)

  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${base}/pay`)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { ok: true })
  }
  // The span is ended on the response's 'close', after the client has its answer.
  const reported = () => logs.lines.filter((l) => l.level === 50 && /ending the request span threw/.test(l.msg))
  for (let i = 0; i < 2000 && reported().length < 2; i++) await nextTurn()
  assert.equal(reported().length, 2)
  assert.equal(reported()[0].err.message, 'processor bug')
  // The processors before the throwing one still saw the spans.
  assert.deepEqual(
    exporter.getFinishedSpans().map((s) => s.name),
    ['GET /pay', 'GET /pay']
  )
})
