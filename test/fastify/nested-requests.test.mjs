// Requests handled in-process while another request's span is active (app.inject() in a handler:
// batch endpoints, composed apps) get a SERVER span of their own, a child of the active one; the
// outer request's span is never taken over. A request over a socket is parented by its headers only.
import { SpanKind } from '@opentelemetry/api'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { idOf, parentOf, sampledParent, INBOUND_SPAN_ID, serve, traceOf, tracedApp, untilSpans } from '../helpers.mjs'

function assertNested (spans, outerName, outerPath, innerName, innerPath) {
  assert.equal(spans.length, 2, spans.map((s) => s.name).join(', '))
  const outer = spans.find((s) => s.name === outerName)
  const inner = spans.find((s) => s.name === innerName)
  assert.ok(outer !== undefined && inner !== undefined, spans.map((s) => s.name).join(', '))
  assert.equal(outer.kind, SpanKind.SERVER)
  assert.equal(inner.kind, SpanKind.SERVER)
  assert.equal(outer.attributes['url.path'], outerPath)
  assert.equal(inner.attributes['url.path'], innerPath)
  assert.equal(traceOf(inner), traceOf(outer))
  assert.equal(parentOf(inner), idOf(outer))
  return { outer, inner }
}

test('app.inject() in a handler: the inner request has its own span, a child of the outer one, ' +
  'which keeps its name and attributes', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/inner/:id', async () => 'x')
  app.get('/outer/:id', async () => (await app.inject('/inner/7?token=abc')).body)
  const res = await app.inject('/outer/1')
  assert.equal(res.body, 'x')
  const { outer, inner } = assertNested(await spans(), 'GET /outer/:id', '/outer/1', 'GET /inner/:id', '/inner/7')
  assert.equal(outer.attributes['http.route'], '/outer/:id')
  assert.equal(inner.attributes['http.route'], '/inner/:id')
  assert.equal(inner.attributes['url.query'], 'token=REDACTED')
  assert.equal(outer.attributes['url.query'], undefined)
})

test('two Fastify instances sharing the SDK: a request to the second, made in a handler of the first, ' +
  'is a child span', async (t) => {
  const exporter = new InMemorySpanExporter()
  const outerApp = Fastify()
  const innerApp = Fastify()
  t.after(async () => {
    await innerApp.close()
    await outerApp.close()
  })
  // Lifecycle spans off: a slow phase on a busy machine would add a span, and this counts them.
  await outerApp.register(otelPlugin, { serviceName: 'bff', exporter, handleSignals: false, lifecycleSpans: 'off' })
  await innerApp.register(otelPlugin, { serviceName: 'bff', handleSignals: false, lifecycleSpans: 'off' })
  innerApp.get('/inner/:id', async () => 'x')
  outerApp.get('/outer/:id', async () => (await innerApp.inject('/inner/7')).body)
  await outerApp.inject('/outer/1')
  await outerApp.otel.forceFlush()
  assertNested(exporter.getFinishedSpans(), 'GET /outer/:id', '/outer/1', 'GET /inner/:id', '/inner/7')
})

test('an in-process request with a traceparent of its own is parented by it, not by the active span', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/inner', async () => 'x')
  app.get('/outer', async () => (await app.inject({ url: '/inner', headers: { traceparent: sampledParent } })).body)
  await app.inject('/outer')
  const inner = (await spans()).find((s) => s.name === 'GET /inner')
  assert.equal(parentOf(inner), INBOUND_SPAN_ID)
})

test("an in-process request with the outer request's headers forwarded whole is a child of the outer span, " +
  'not its sibling', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/inner/:id', async () => 'x')
  // Forwarded to pass authorization on: the outer caller's traceparent comes along.
  app.get('/outer/:id', async (request) => (await app.inject({ url: '/inner/7', headers: request.headers })).body)
  await app.inject({ url: '/outer/1', headers: { traceparent: sampledParent, authorization: 'Bearer x' } })
  const { outer } = assertNested(await spans(), 'GET /outer/:id', '/outer/1', 'GET /inner/:id', '/inner/7')
  assert.equal(parentOf(outer), INBOUND_SPAN_ID)
})

test('a request over a socket is not a child of what was active when the server started listening', async (t) => {
  const { app, exporter } = await tracedApp(t)
  app.get('/', async () => 'ok')
  const startup = app.otel.tracer.startSpan('startup')
  const { context, trace } = await import('@opentelemetry/api')
  const base = await context.with(trace.setSpan(context.active(), startup), () => serve(app))
  startup.end()
  await fetch(base)
  const spans = await untilSpans(app, exporter, (all) => all.some((s) => s.name === 'GET /'))
  const request = spans.find((s) => s.name === 'GET /')
  assert.equal(parentOf(request), undefined)
  assert.notEqual(traceOf(request), traceOf(spans.find((s) => s.name === 'startup')))
})
