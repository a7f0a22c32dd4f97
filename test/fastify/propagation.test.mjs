// Inbound extraction and outbound injection through the plugin: W3C, B3, priority, extract-only,
// traceresponse, and hostile headers.
import { SpanKind } from '@opentelemetry/api'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  INBOUND_SPAN_ID,
  INBOUND_TRACE_ID,
  idOf,
  parentOf,
  sampledParent,
  traceOf,
  tracedApp,
  unsampledParent
} from '../helpers.mjs'

/** A route that reports the headers request.otel.inject() writes. */
function echoInjection (app) {
  app.get('/inject', async (request) => request.otel.inject({}))
}

test('a sampled W3C parent is continued, and the sampled flag is re-emitted on injection', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  echoInjection(app)
  const res = await app.inject({
    url: '/inject',
    headers: { traceparent: sampledParent, tracestate: 'vendor=abc,other=x' }
  })
  const span = await spanNamed('GET /inject')
  assert.equal(traceOf(span), INBOUND_TRACE_ID)
  assert.equal(parentOf(span), INBOUND_SPAN_ID)
  assert.equal(span.parentSpanContext.isRemote, true)
  const injected = res.json()
  assert.equal(injected.traceparent, `00-${INBOUND_TRACE_ID}-${idOf(span)}-01`)
  assert.equal(injected.tracestate, 'vendor=abc,other=x')
})

test('an unsampled W3C parent: nothing is recorded, the context and flag 00 still propagate', async (t) => {
  const { app, spans } = await tracedApp(t)
  echoInjection(app)
  const res = await app.inject({ url: '/inject', headers: { traceparent: unsampledParent } })
  assert.deepEqual(await spans(), [])
  const injected = res.json()
  assert.match(injected.traceparent, new RegExp(`^00-${INBOUND_TRACE_ID}-[0-9a-f]{16}-00$`))
  assert.notEqual(injected.traceparent.split('-')[2], INBOUND_SPAN_ID)
})

test('the default propagators inject W3C, baggage and B3 multi; baggage passes through', async (t) => {
  const { app } = await tracedApp(t)
  echoInjection(app)
  const res = await app.inject({
    url: '/inject',
    headers: { traceparent: sampledParent, baggage: 'tenant=acme,region=eu' }
  })
  const injected = res.json()
  assert.deepEqual(Object.keys(injected).sort(), [
    'baggage',
    'traceparent',
    'x-b3-sampled',
    'x-b3-spanid',
    'x-b3-traceid'
  ])
  assert.equal(injected['x-b3-traceid'], INBOUND_TRACE_ID)
  assert.equal(injected['x-b3-sampled'], '1')
  assert.deepEqual(injected.baggage.split(',').sort(), ['region=eu', 'tenant=acme'])
})

test('B3 multi-header inbound context is continued (64-bit ids padded)', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  app.get('/b3', async () => 'ok')
  await app.inject({
    url: '/b3',
    headers: { 'x-b3-traceid': 'a3ce929d0e0e4736', 'x-b3-spanid': '00f067aa0ba902b7', 'x-b3-sampled': '1' }
  })
  const span = await spanNamed('GET /b3')
  assert.equal(traceOf(span), '0000000000000000a3ce929d0e0e4736')
  assert.equal(parentOf(span), '00f067aa0ba902b7')
})

test('W3C wins over B3 when both arrive, because it comes first in the list', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  app.get('/both', async () => 'ok')
  await app.inject({
    url: '/both',
    headers: {
      traceparent: sampledParent,
      'x-b3-traceid': '11111111111111111111111111111111',
      'x-b3-spanid': '2222222222222222',
      'x-b3-sampled': '1'
    }
  })
  assert.equal(traceOf(await spanNamed('GET /both')), INBOUND_TRACE_ID)
})

test('with b3 listed first, B3 wins over W3C', async (t) => {
  const { app, spanNamed } = await tracedApp(t, { options: { propagators: ['b3', 'tracecontext'] } })
  app.get('/both', async () => 'ok')
  await app.inject({
    url: '/both',
    headers: { traceparent: sampledParent, b3: '11111111111111111111111111111111-2222222222222222-1' }
  })
  assert.equal(traceOf(await spanNamed('GET /both')), '11111111111111111111111111111111')
})

test('B3 single header: sampled, debug, b3: 0 (deny) and a deferred decision', async (t) => {
  const { app, spans } = await tracedApp(t, { options: { propagators: ['b3'] } })
  app.get('/b3/:case', async (request) => request.otel.inject({}))
  const inject = async (name, b3) => (await app.inject({ url: `/b3/${name}`, headers: { b3 } })).json()
  const sampled = await inject('sampled', '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1')
  const debug = await inject('debug', '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d')
  const denied = await inject('deny', '0')
  const deferred = await inject('defer', '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1')
  assert.match(sampled.b3, /^80f198ee56343ba864fe8b2a57d3eff7-[0-9a-f]{16}-1$/)
  assert.match(debug.b3, /-d$/)
  assert.match(denied.b3, /^[0-9a-f]{32}-[0-9a-f]{16}-0$/)
  // Deferred: the local sampler (parent-based, always-on root) decides, so the trace is recorded.
  assert.match(deferred.b3, /^80f198ee56343ba864fe8b2a57d3eff7-[0-9a-f]{16}-1$/)
  assert.deepEqual((await spans()).map((s) => s.name).sort(), ['GET /b3/:case', 'GET /b3/:case', 'GET /b3/:case'])
})

test('extract-only mode continues inbound context but injects nothing anywhere', async (t) => {
  const { app, spanNamed } = await tracedApp(t, { options: { extractOnly: true, traceResponseHeader: true } })
  echoInjection(app)
  const res = await app.inject({ url: '/inject', headers: { traceparent: sampledParent } })
  assert.deepEqual(res.json(), {})
  assert.equal(res.headers.traceresponse, undefined)
  assert.equal(traceOf(await spanNamed('GET /inject')), INBOUND_TRACE_ID)
})

test('the traceresponse header (W3C Level 2) names the server span', async (t) => {
  const { app, spanNamed } = await tracedApp(t, { options: { traceResponseHeader: true } })
  app.get('/tr', async () => 'ok')
  const res = await app.inject({ url: '/tr', headers: { traceparent: sampledParent } })
  const span = await spanNamed('GET /tr')
  assert.equal(res.headers.traceresponse, `00-${INBOUND_TRACE_ID}-${idOf(span)}-01`)
})

test('a trace the service starts carries the W3C Level 2 random flag downstream', async (t) => {
  const { app } = await tracedApp(t)
  echoInjection(app)
  const root = (await app.inject({ url: '/inject' })).json()
  assert.match(root.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/)
  const continued = (await app.inject({ url: '/inject', headers: { traceparent: sampledParent } })).json()
  assert.match(continued.traceparent, /-01$/)
  const randomInbound = (
    await app.inject({ url: '/inject', headers: { traceparent: sampledParent.replace(/-01$/, '-03') } })
  ).json()
  assert.match(randomInbound.traceparent, /-03$/)
})

test('propagators none: inbound headers are ignored and nothing is injected', async (t) => {
  const { app, spanNamed } = await tracedApp(t, { options: { propagators: ['none'] } })
  echoInjection(app)
  const res = await app.inject({ url: '/inject', headers: { traceparent: sampledParent } })
  assert.deepEqual(res.json(), {})
  assert.notEqual(traceOf(await spanNamed('GET /inject')), INBOUND_TRACE_ID)
})

test('hostile headers never fail a request: each starts a fresh trace or is ignored', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/h', async () => 'ok')
  const hostile = [
    { traceparent: 'garbage' },
    { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
    { traceparent: `00-${INBOUND_TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01` },
    { traceparent: `ff-${INBOUND_TRACE_ID}-00f067aa0ba902b7-01` },
    { traceparent: `00-${INBOUND_TRACE_ID}-00f067aa0ba902b7-01-extra` },
    { traceparent: 'x'.repeat(60_000) },
    { traceparent: sampledParent, tracestate: Array.from({ length: 40 }, (_, i) => `k${i}=v`).join(',') },
    { traceparent: sampledParent, tracestate: 'a=1,a=2' },
    { baggage: '%%%,=,k=%ZZ,' + 'x=y,'.repeat(5000) },
    { b3: '---' },
    { b3: 'zz-zz-zz-zz-zz' },
    { 'x-b3-traceid': 'not-hex', 'x-b3-spanid': '1', 'x-b3-sampled': 'maybe' },
    { 'x-b3-traceid': '0000000000000000', 'x-b3-spanid': '0000000000000000' }
  ]
  for (const headers of hostile) {
    const res = await app.inject({ url: '/h', headers })
    assert.equal(res.statusCode, 200, JSON.stringify(headers).slice(0, 80))
  }
  const all = await spans()
  assert.equal(all.length, hostile.length)
  for (const [i, span] of all.entries()) {
    assert.equal(span.kind, SpanKind.SERVER)
    // Only the two cases with a valid traceparent continue the inbound trace: the tracestate of
    // 40 members is dropped whole, the duplicated key keeps its first occurrence.
    if (i === 6 || i === 7) {
      assert.equal(traceOf(span), INBOUND_TRACE_ID)
      assert.equal(span.spanContext().traceState?.serialize(), i === 6 ? undefined : 'a=1')
    } else {
      assert.notEqual(traceOf(span), INBOUND_TRACE_ID)
      assert.equal(span.parentSpanContext, undefined)
    }
  }
})

test('a higher traceparent version is parsed leniently (future versions may add fields)', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  app.get('/v', async () => 'ok')
  await app.inject({
    url: '/v',
    headers: { traceparent: `cc-${INBOUND_TRACE_ID}-${INBOUND_SPAN_ID}-01-what-the-future-holds` }
  })
  assert.equal(traceOf(await spanNamed('GET /v')), INBOUND_TRACE_ID)
})
