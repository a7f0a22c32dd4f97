// Where the time went: slow hooks, handlers and Fastify's phases become named spans, synchronous
// stretches become event_loop.blocked events, and every sampled request span says how much of it
// no child covered. Real timers throughout. A test that asserts that something did *not* become a
// span or an event raises the thresholds well above what a busy machine adds to a trivial step.
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import FastifyOtelInstrumentation from '@fastify/otel'
import Fastify from 'fastify'
import fastifyPlugin from 'fastify-plugin'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import otelPlugin, { withSpan } from 'fastify-otel-kit'
import { idOf, parentOf, postBodyLater, serve, tracedApp as anyApp, unsampledParent } from '../helpers.mjs'

/** The helper's app with the plugin's default lifecycle timing (the helper turns it off for other tests). */
const tracedApp = (t, { options = {}, ...rest } = {}) =>
  anyApp(t, { ...rest, options: { lifecycleSpans: 'slow', ...options } })

/** Keeps the thread busy for `millis`: a synchronous stretch that blocks the event loop. */
function burn (millis) {
  const until = performance.now() + millis
  while (performance.now() < until);
}

const millisOf = (span) => (span.endTime[0] - span.startTime[0]) * 1e3 + (span.endTime[1] - span.startTime[1]) / 1e6
const nanos = ([s, n]) => BigInt(s) * 1_000_000_000n + BigInt(n)
/** `inner` lies within `outer` (start and end inclusive). */
function assertWithin (inner, outer) {
  assert.ok(nanos(inner.startTime) >= nanos(outer.startTime), `${inner.name} starts before ${outer.name}`)
  assert.ok(nanos(inner.endTime) <= nanos(outer.endTime), `${inner.name} ends after ${outer.name}`)
}
const requestSpanOf = (spans) => spans.find((s) => s.kind === SpanKind.SERVER)
const blockedEvents = (span) => span.events.filter((e) => e.name === 'event_loop.blocked')

/** Thresholds far from what a descheduled process adds to a trivial step, and below the slow cases' waits. */
const ROBUST = { slowThresholdMillis: 40, blockingThresholdMillis: 40 }

test('a preHandler that waits 60 ms is a span named for it, inside the request span, and no blocking', async (t) => {
  const { app, spans } = await tracedApp(t, { options: ROBUST })
  app.get(
    '/refunds/:orderId',
    {
      preHandler: async function checkEntitlements () {
        await sleep(60)
      }
    },
    async function refund () {
      return { ok: true }
    }
  )
  assert.equal((await app.inject('/refunds/ord-1')).statusCode, 200)
  const all = await spans()
  const request = requestSpanOf(all)
  const hook = all.find((s) => s.name === 'preHandler - checkEntitlements')
  assert.ok(hook !== undefined, `no hook span; have ${all.map((s) => s.name)}`)
  assert.equal(parentOf(hook), idOf(request))
  assert.equal(hook.kind, SpanKind.INTERNAL)
  assert.ok(millisOf(hook) >= 59, `the hook span lasts ${millisOf(hook)} ms`)
  assertWithin(hook, request)
  assert.deepEqual(hook.attributes, {
    'hook.name': 'fastify - route -> preHandler',
    'fastify.type': 'route-hook',
    'hook.callback.name': 'checkEntitlements',
    'http.route': '/refunds/:orderId'
  })
  // Waiting is not blocking: the 60 ms were spent awaiting a timer.
  assert.deepEqual(blockedEvents(request), [])
  // The handler was fast: no span for it.
  assert.deepEqual(all.filter((s) => s.name.startsWith('handler')), [])
})

test('a custom serializer that burns 50 ms is a serialization span; the blocking is on the request span', async (t) => {
  const { app, spans } = await tracedApp(t, { options: ROBUST })
  app.get(
    '/report',
    {
      schema: { response: { 200: { type: 'object', properties: { rows: { type: 'number' } } } } },
      serializerCompiler: () =>
        function slowSerializer (data) {
          burn(50)
          return JSON.stringify(data)
        }
    },
    async function report () {
      return { rows: 3 }
    }
  )
  const res = await app.inject('/report')
  assert.equal(res.body, '{"rows":3}')
  const all = await spans()
  const request = requestSpanOf(all)
  const serialization = all.find((s) => s.name === 'serialization')
  assert.ok(serialization !== undefined, `no serialization span; have ${all.map((s) => s.name)}`)
  assert.equal(parentOf(serialization), idOf(request))
  assert.ok(millisOf(serialization) >= 50, `${millisOf(serialization)} ms`)
  assert.deepEqual(serialization.attributes, { 'fastify.type': 'phase', 'fastify.phase': 'serialization' })
  assertWithin(serialization, request)
  const [blocked] = blockedEvents(request)
  assert.equal(blocked.attributes['fastify.step'], 'serialization')
  assert.ok(blocked.attributes['event_loop.blocked.duration_ms'] >= 50)
  // The handler ended before serialization began: it is not charged with it.
  assert.equal(all.find((s) => s.name.startsWith('handler')), undefined)
})

test('a handler that computes for 70 ms is a handler span and an event_loop.blocked event naming it', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.post('/totals', async function computeTotals (request) {
    burn(70)
    return { total: request.body.items.length }
  })
  const res = await app.inject({ method: 'POST', url: '/totals', payload: { items: [1, 2] } })
  assert.equal(res.json().total, 2)
  const all = await spans()
  const request = requestSpanOf(all)
  const handler = all.find((s) => s.name === 'handler - computeTotals')
  assert.ok(handler !== undefined, `no handler span; have ${all.map((s) => s.name)}`)
  assert.equal(parentOf(handler), idOf(request))
  assert.ok(millisOf(handler) >= 70, `${millisOf(handler)} ms`)
  assert.equal(handler.attributes['fastify.type'], 'request-handler')
  assert.equal(handler.attributes['http.route'], '/totals')
  const [blocked] = blockedEvents(request)
  assert.equal(blocked.attributes['fastify.step'], 'handler - computeTotals')
  assert.ok(blocked.attributes['event_loop.blocked.duration_ms'] >= 70)
  // The event sits where the stretch began: at the handler's start.
  assert.deepEqual(blocked.time, handler.startTime)
})

test('a fast route gains no span; its request span still says that nothing covered it', async (t) => {
  const { app, spans } = await tracedApp(t, { options: ROBUST })
  app.addHook('onRequest', async function authenticate () {})
  app.get('/fast', { preHandler: (request, reply, done) => done() }, async () => ({ ok: true }))
  await app.inject('/fast')
  const all = await spans()
  assert.deepEqual(
    all.map((s) => s.name),
    ['GET /fast']
  )
  const [request] = all
  assert.deepEqual(blockedEvents(request), [])
  assert.equal(request.attributes['fastify.request.uncovered_share'], 1)
  const uncovered = request.attributes['fastify.request.uncovered_ms']
  assert.ok(Math.abs(uncovered - millisOf(request)) < 0.002, `${uncovered} against ${millisOf(request)}`)
})

test('callback-style hooks are timed until done is called, registered before or after the plugin', async (t) => {
  const { app, spans } = await tracedApp(t, {
    options: { slowThresholdMillis: 20, blockingThresholdMillis: 40 },
    before: (app) => {
      // Before the plugin: found in Fastify's hook store and wrapped there.
      app.addHook('preValidation', function earlyGate (request, reply, done) {
        setTimeout(done, 30)
      })
    }
  })
  // A plugin with fastify-plugin joins the root's name chain (fastify -> quota-plugin): the root
  // context keeps its one name for the hooks added after it.
  await app.register(fastifyPlugin(async () => {}, { name: 'quota-plugin' }))
  app.addHook('onRequest', function waitForQuota (request, reply, done) {
    setTimeout(done, 40)
  })
  app.get('/quota', async () => 'ok')
  await app.inject('/quota')
  const all = await spans()
  const request = requestSpanOf(all)
  const quota = all.find((s) => s.name === 'onRequest - waitForQuota')
  const gate = all.find((s) => s.name === 'preValidation - earlyGate')
  assert.ok(quota !== undefined && gate !== undefined, `have ${all.map((s) => s.name)}`)
  assert.ok(millisOf(quota) >= 39, `${millisOf(quota)} ms`)
  assert.ok(millisOf(gate) >= 29, `${millisOf(gate)} ms`)
  assert.equal(gate.attributes['fastify.type'], 'hook')
  assert.equal(gate.attributes['hook.name'], 'fastify - preValidation')
  // The same name for the root context after the plugins as before them.
  assert.equal(quota.attributes['hook.name'], 'fastify - onRequest')
  // In order: the quota hook ends where the gate can begin.
  assert.ok(nanos(quota.endTime) <= nanos(gate.startTime))
  assertWithin(quota, request)
  assertWithin(gate, request)
  assert.deepEqual(blockedEvents(request), [])
})

test('errors thrown from a timed hook reach Fastify and the error handler unchanged', async (t) => {
  const { app, spans } = await tracedApp(t)
  class EntitlementError extends Error {
    statusCode = 403
    code = 'NOT_ENTITLED'
  }
  const thrown = []
  const seen = []
  app.setErrorHandler(function handleErrors (error, request, reply) {
    seen.push(error)
    reply.code(error.statusCode ?? 500).send({ code: error.code })
  })
  app.get(
    '/async',
    {
      preHandler: async function slowRefusal () {
        await sleep(20)
        const error = new EntitlementError('no')
        thrown.push(error)
        throw error
      }
    },
    async () => 'never'
  )
  app.get(
    '/sync',
    {
      preHandler: function burnThenThrow () {
        burn(20)
        const error = new EntitlementError('sync no')
        thrown.push(error)
        throw error
      }
    },
    async () => 'never'
  )
  app.get(
    '/callback',
    {
      preHandler: function refuseLater (request, reply, done) {
        const error = new EntitlementError('callback no')
        thrown.push(error)
        setTimeout(() => done(error), 20)
      }
    },
    async () => 'never'
  )
  for (const url of ['/async', '/sync', '/callback']) {
    const res = await app.inject(url)
    assert.equal(res.statusCode, 403, url)
    assert.deepEqual(res.json(), { code: 'NOT_ENTITLED' })
  }
  assert.equal(seen.length, 3)
  seen.forEach((error, i) => assert.equal(error, thrown[i], 'the very error thrown reaches the error handler'))
  const all = await spans()
  for (const name of ['preHandler - slowRefusal', 'preHandler - burnThenThrow', 'preHandler - refuseLater']) {
    const span = all.find((s) => s.name === name)
    assert.ok(span !== undefined, `no ${name}; have ${all.map((s) => s.name)}`)
    assert.equal(span.status.code, SpanStatusCode.ERROR, name)
    assert.equal(span.attributes['error.type'], 'EntitlementError', name)
    assert.equal(span.events.find((e) => e.name === 'exception')?.attributes['exception.type'], 'NOT_ENTITLED')
  }
})

test("'all' gives every hook and the handler a span, with @fastify/otel's names, attributes and parents", async (t) => {
  /** The same application shape under either instrumentation; `tracer` makes a domain span in the handler. */
  const shape = (app, tracer) => {
    app.addHook('onRequest', async function authenticate () {})
    app.addHook('onSend', function stamp (request, reply, payload, done) {
      done(null, payload)
    })
    app.get(
      '/orders/:id',
      {
        preHandler: [async function checkEntitlements () {}, function loadCart (request, reply, done) {
          done()
        }]
      },
      async function getOrder () {
        // A domain span of 2 ms: long enough to tell covered time from rounding.
        const domain = tracer.startSpan('domain')
        for (const until = performance.now() + 2; performance.now() < until;);
        domain.end()
        return { ok: true }
      }
    )
  }
  // @fastify/otel on an SDK of its own (with a context manager, as NodeSDK would register).
  const manager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(manager)
  const theirsExporter = new InMemorySpanExporter()
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: theirsExporter })] })
  const instrumentation = new FastifyOtelInstrumentation()
  instrumentation.setTracerProvider(provider)
  const theirApp = Fastify()
  await theirApp.register(instrumentation.plugin())
  shape(theirApp, provider.getTracer('app'))
  await theirApp.inject('/orders/1')
  await theirApp.close()
  instrumentation.disable()
  context.disable()

  // Slow phases aside (a busy machine could make one), 'all' is the span-per-hook shape.
  const { app, spans } = await tracedApp(t, { options: { lifecycleSpans: 'all', slowThresholdMillis: 10_000 } })
  shape(app, trace.getTracer('app'))
  await app.inject('/orders/1')
  const ours = await spans()

  // Theirs names the root context with their package (`fastify -> @fastify/otel`), ours `fastify`.
  const ROOT_NAME = /^fastify( -> [^ ]+)? - /
  /** Each span as the comparison sees it: name, kind, attributes (plugin name aside) and parent's name. */
  const describe = (all, requestSpan) =>
    all
      .filter((s) => s !== requestSpan)
      .map((s) => ({
        name: s.name,
        kind: s.kind,
        attributes: Object.fromEntries(
          Object.entries(s.attributes).map(([k, v]) => [k, k === 'hook.name' ? v.replace(ROOT_NAME, '') : v])
        ),
        parent: parentOf(s) === idOf(requestSpan) ? 'request' : all.find((p) => idOf(p) === parentOf(s))?.name
      }))
      .sort((a, b) => a.name.localeCompare(b.name))
  const theirs = theirsExporter.getFinishedSpans()
  const expected = describe(
    theirs,
    theirs.find((s) => s.name === 'request')
  )
  assert.deepEqual(describe(ours, requestSpanOf(ours)), expected)
  assert.deepEqual(
    expected.map((s) => `${s.name} <- ${s.parent}`),
    [
      'domain <- handler - getOrder',
      'handler - getOrder <- request',
      'onRequest - authenticate <- request',
      'onSend - stamp <- request',
      'preHandler - checkEntitlements <- request',
      'preHandler - loadCart <- request'
    ]
  )
  // In 'all', the domain span is the handler span's child, and still counts as covering the request
  // (the lifecycle spans themselves cover nothing: they explain uncovered time). Compared in
  // milliseconds, not by the share: a pause of the machine inside the request can round a share of
  // 0.99996 up to 1.
  const request = requestSpanOf(ours)
  const durationMillis = request.duration[0] * 1000 + request.duration[1] / 1e6
  assert.ok(
    request.attributes['fastify.request.uncovered_ms'] <= durationMillis - 1.5,
    `${request.attributes['fastify.request.uncovered_ms']} ms uncovered of ${durationMillis} ms`
  )
})

const waitABit = async function waitABit () {
  await sleep(60)
}

test('a route turns timing on where the plugin has it off', async (t) => {
  const { app, spans } = await tracedApp(t, { options: { lifecycleSpans: 'off', ...ROBUST } })
  app.get('/plain', { preHandler: waitABit }, async () => 'plain')
  app.get(
    '/watched',
    { preHandler: waitABit, config: { otel: { lifecycleSpans: 'slow', slowThresholdMillis: 50 } } },
    async () => 'watched'
  )
  await app.inject('/plain')
  await app.inject('/watched')
  const all = await spans()
  assert.deepEqual(childrenNamed(all, 'GET /plain'), [])
  assert.ok(childrenNamed(all, 'GET /watched').includes('preHandler - waitABit'))
})

/** The names of the children of the request span named `name`. */
function childrenNamed (all, name) {
  const request = all.find((s) => s.name === name)
  return all.filter((s) => parentOf(s) === idOf(request)).map((s) => s.name)
}

test('a route turns timing off where the plugin has it on', async (t) => {
  const { app, spans } = await tracedApp(t, { options: ROBUST })
  app.get('/quiet', { preHandler: waitABit, config: { otel: { lifecycleSpans: 'off' } } }, async () => 'q')
  app.get('/loud', { preHandler: waitABit }, async () => 'l')
  await app.inject('/quiet')
  await app.inject('/loud')
  const all = await spans()
  assert.deepEqual(childrenNamed(all, 'GET /quiet'), [])
  assert.ok(childrenNamed(all, 'GET /loud').includes('preHandler - waitABit'))
})

test('a bad route-level setting fails when the route is added, naming the route', async (t) => {
  const { app } = await tracedApp(t)
  assert.throws(
    () => app.get('/x', { config: { otel: { lifecycleSpans: 'sometimes' } } }, async () => 'x'),
    (error) =>
      error.code === 'FOK_ERR_INVALID_OPTION' &&
      error.message.includes('config.otel.lifecycleSpans of route GET /x') &&
      error.message.includes('"sometimes"')
  )
  // A misspelt key is named, with the key meant.
  assert.throws(
    () => app.get('/z', { config: { otel: { slowThreshold: 5 } } }, async () => 'z'),
    (error) =>
      error.code === 'FOK_ERR_UNKNOWN_OPTION' &&
      error.message.includes('"config.otel.slowThreshold of route GET /z"') &&
      error.message.includes('Did you mean "config.otel.slowThresholdMillis of route GET /z"?')
  )
  // @fastify/otel's own keys under config.otel are left alone.
  app.get('/y', { config: { otel: { instrumentHooks: false, instrumentHandler: true } } }, async () => 'y')
  assert.equal((await app.inject('/y')).statusCode, 200)
})

test('bad plugin options are coded errors at registration', async (t) => {
  for (const [options, key] of [
    [{ lifecycleSpans: 'some' }, 'lifecycleSpans'],
    [{ slowThresholdMillis: -1 }, 'slowThresholdMillis'],
    [{ blockingThresholdMillis: '10' }, 'blockingThresholdMillis']
  ]) {
    const app = Fastify()
    t.after(() => app.close())
    await assert.rejects(
      app.register(otelPlugin, { serviceName: 'x', handleSignals: false, ...options }).ready(),
      (error) => error.code === 'FOK_ERR_INVALID_OPTION' && error.message.includes(`"${key}"`)
    )
  }
})

test('unsampled requests are not timed: no span, no event', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/cpu', async function compute () {
    burn(20)
    return 'done'
  })
  await app.inject({ url: '/cpu', headers: { traceparent: unsampledParent } })
  assert.deepEqual(await spans(), [])
  assert.deepEqual(app.otel.routeSummary().routes, [])
})

test('a body that arrives slowly is a body parsing span; a slow validator a validation span', async (t) => {
  const { app, spans } = await tracedApp(t)
  let parsingStarted
  const serverParsing = new Promise((resolve) => {
    parsingStarted = resolve
  })
  app.post(
    '/upload',
    {
      preParsing: async function noteParsing (request, reply, payload) {
        parsingStarted()
        return payload
      },
      schema: { body: { type: 'object', properties: { n: { type: 'number' } } } },
      validatorCompiler: () =>
        function slowValidator (data) {
          burn(25)
          return typeof data.n === 'number'
        }
    },
    async (request) => ({ n: request.body.n })
  )
  const base = await serve(app)
  const late = postBodyLater(
    `${base}/upload`,
    '{"n":7}',
    serverParsing.then(() => sleep(40))
  )
  assert.equal((await late).body, '{"n":7}')
  await app.otel.forceFlush()
  await sleep(5)
  const all = await spans()
  const request = requestSpanOf(all)
  const parsing = all.find((s) => s.name === 'body parsing')
  const validation = all.find((s) => s.name === 'validation')
  assert.ok(parsing !== undefined && validation !== undefined, `have ${all.map((s) => s.name)}`)
  assert.ok(millisOf(parsing) >= 39, `parsing ${millisOf(parsing)} ms`)
  assert.ok(millisOf(validation) >= 25, `validation ${millisOf(validation)} ms`)
  // Validation starts where parsing ends: the wait for the body is not in it.
  assert.ok(nanos(parsing.endTime) <= nanos(validation.startTime))
  assertWithin(parsing, request)
  assertWithin(validation, request)
})

test("with a threshold of 0, every phase of a route with Ajv schemas shows, in Fastify's order", async (t) => {
  const { app, spans } = await tracedApp(t, { options: { slowThresholdMillis: 0, blockingThresholdMillis: 1000 } })
  app.post(
    '/items/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string' } } },
        body: { type: 'object', required: ['n'], properties: { n: { type: 'number' } } },
        response: { 200: { type: 'object', properties: { n: { type: 'number' } } } }
      }
    },
    async function save (request) {
      return { n: request.body.n }
    }
  )
  await app.inject({ method: 'POST', url: '/items/1', payload: { n: 1 } })
  const all = await spans()
  const request = requestSpanOf(all)
  const order = all
    .filter((s) => s !== request)
    .sort((a, b) => (nanos(a.startTime) < nanos(b.startTime) ? -1 : 1))
    .map((s) => s.name)
  assert.deepEqual(
    order.filter((n) => n !== 'response'),
    ['body parsing', 'validation', 'handler - save', 'serialization']
  )
  for (const span of all) if (span !== request) assertWithin(span, request)
})

test('a per-reply serializer, the reply serializer and a handler that replies from a callback are timed', async (t) => {
  const { app, spans } = await tracedApp(t, { options: { slowThresholdMillis: 40, blockingThresholdMillis: 40 } })
  app.get('/per-reply', async function perReply (request, reply) {
    reply.serializer(function slowPerReply (payload) {
      burn(50)
      return JSON.stringify(payload)
    })
    return { a: 1 }
  })
  app.register(async (child) => {
    child.setReplySerializer(function slowDefault (payload) {
      burn(50)
      return JSON.stringify(payload)
    })
    child.get('/replied', async () => ({ b: 2 }))
  })
  app.get('/later', function replyLater (request, reply) {
    setTimeout(() => reply.send({ c: 3 }), 60)
  })
  assert.equal((await app.inject('/per-reply')).body, '{"a":1}')
  assert.equal((await app.inject('/replied')).body, '{"b":2}')
  assert.equal((await app.inject('/later')).body, '{"c":3}')
  const all = await spans()
  const childrenOf = (route) => {
    const request = all.find((s) => s.name === `GET ${route}`)
    return all.filter((s) => parentOf(s) === idOf(request)).map((s) => s.name)
  }
  assert.ok(childrenOf('/per-reply').includes('serialization'), `${childrenOf('/per-reply')}`)
  assert.ok(childrenOf('/replied').includes('serialization'), `${childrenOf('/replied')}`)
  assert.ok(childrenOf('/later').includes('handler - replyLater'), `${childrenOf('/later')}`)
  assert.ok(!childrenOf('/later').includes('serialization'), 'the wait for the callback is not serialization')
  const later = all.find((s) => s.name === 'handler - replyLater')
  assert.ok(millisOf(later) >= 59, `${millisOf(later)} ms`)
})

test('coverage: the request span records the time no child covered, overlaps counted once', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/mixed', async function mixed () {
    // Two overlapping children, then time no span covers.
    await Promise.all([
      withSpan('db.query', {}, () => sleep(20)),
      withSpan('cache.get', {}, () => sleep(10))
    ])
    await sleep(20)
    return 'ok'
  })
  await app.inject('/mixed')
  const all = await spans()
  const request = requestSpanOf(all)
  const children = all.filter((s) => parentOf(s) === idOf(request))
  assert.deepEqual(
    children
      .map((s) => s.name)
      .filter((name) => name !== 'response')
      .sort(),
    ['cache.get', 'db.query', 'handler - mixed']
  )
  // Recomputed from the exported spans: the union of the domain children's intervals. The handler's
  // span says where the rest went; it does not count as covering.
  const from = nanos(request.startTime)
  const intervals = children
    .filter((s) => s.attributes['fastify.type'] === undefined)
    .map((s) => [nanos(s.startTime) - from, nanos(s.endTime) - from])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
  let covered = 0n
  let cursor = 0n
  for (const [a, b] of intervals) {
    if (b > cursor) covered += b - (a > cursor ? a : cursor)
    if (b > cursor) cursor = b
  }
  const duration = nanos(request.endTime) - from
  const expected = Number(duration - covered) / 1e6
  assert.ok(
    Math.abs(request.attributes['fastify.request.uncovered_ms'] - expected) < 0.002,
    `${request.attributes['fastify.request.uncovered_ms']} against ${expected}`
  )
  // The share is of the request's duration, from the same spans (a range of expected values would
  // depend on how long each sleep took on a loaded machine).
  const share = request.attributes['fastify.request.uncovered_share']
  assert.ok(Math.abs(share - expected / (Number(duration) / 1e6)) < 0.001, `share ${share}`)
  assert.ok(share > 0 && share < 1, `share ${share}`)
})

test('the route summary: requests, durations, uncovered share, the slowest steps, in words too', async (t) => {
  const { app } = await tracedApp(t)
  const { formatRouteSummary } = await import('fastify-otel-kit')
  app.post(
    '/refunds/:orderId',
    {
      preHandler: async function checkEntitlements () {
        await sleep(60)
      }
    },
    async function refund () {
      await withSpan('gateway.call', {}, () => sleep(5))
      return { ok: true }
    }
  )
  app.get('/health', async () => 'ok')
  for (let i = 0; i < 4; i++) await app.inject({ method: 'POST', url: `/refunds/o-${i}`, payload: {} })
  await app.inject('/health')
  const summary = app.otel.routeSummary()
  assert.deepEqual(
    summary.routes.map((r) => r.route),
    ['POST /refunds/:orderId', 'GET /health']
  )
  const [refunds] = summary.routes
  assert.equal(refunds.requests, 4)
  assert.ok(refunds.durationMillis.p50 >= 65 && refunds.durationMillis.p95 >= refunds.durationMillis.p50)
  const { medianShare } = refunds.uncovered
  assert.ok(medianShare > 0.6 && medianShare < 1, `${medianShare}`)
  assert.equal(refunds.slowest[0].name, 'preHandler - checkEntitlements')
  assert.equal(refunds.slowest[0].kind, 'hook')
  assert.equal(refunds.slowest[0].count, 4)
  assert.ok(refunds.slowest[0].p50Millis >= 59)
  const [line] = formatRouteSummary(summary)
  assert.match(
    line,
    /^POST \/refunds\/:orderId: \d+ % of \d+ ms is not covered by any span; slowest hook preHandler - checkEntitlements \d+ ms \(4 requests, p95 \d+ ms\)$/
  )
  assert.ok(summary.eventLoop !== undefined)
  // reset: the next summary starts over.
  app.otel.routeSummary({ reset: true })
  assert.deepEqual(app.otel.routeSummary().routes, [])
})

test("in 'all', a hook resumed from outside the request context still hands the request context on", async (t) => {
  const { app, spans } = await tracedApp(t, { options: { lifecycleSpans: 'all' } })
  let inside
  app.addHook('preValidation', (request, reply, done) => {
    // Resumes from outside any request context.
    context.with(ROOT_CONTEXT, () => setImmediate(done))
  })
  app.get('/ctx', async function seeContext () {
    inside = trace.getActiveSpan()?.spanContext().spanId
    return 'ok'
  })
  await app.inject('/ctx')
  const all = await spans()
  assert.equal(inside, idOf(all.find((s) => s.name === 'handler - seeContext')))
})

test("the default is 'slow' with 10 ms thresholds; app.otel.config shows them with their source", async (t) => {
  const exporter = new InMemorySpanExporter()
  const app = Fastify()
  t.after(() => app.close())
  await app.register(otelPlugin, { serviceName: 'defaults', exporter, handleSignals: false })
  const { lifecycleSpans, slowThresholdMillis, blockingThresholdMillis } = app.otel.config
  assert.deepEqual(
    [lifecycleSpans, slowThresholdMillis, blockingThresholdMillis],
    [
      { value: 'slow', source: 'default' },
      { value: 10, source: 'default' },
      { value: 10, source: 'default' }
    ]
  )
  app.get('/slow', async function takesItsTime () {
    await sleep(15)
    return 'ok'
  })
  await app.inject('/slow')
  await app.otel.forceFlush()
  assert.ok(exporter.getFinishedSpans().some((s) => s.name === 'handler - takesItsTime'))
})

test('the not-found handler, an error handler and hooks of an encapsulated plugin are steps too', async (t) => {
  const { app, spans } = await tracedApp(t, { options: { slowThresholdMillis: 20, blockingThresholdMillis: 1000 } })
  app.setNotFoundHandler(async function noSuchRoute (request, reply) {
    await sleep(30)
    return reply.code(404).send({ missing: request.url })
  })
  await app.register(async function billing (child) {
    child.addHook('onRequest', async function tenantLookup () {
      await sleep(30)
    })
    child.setErrorHandler(async function explainFailure (error, request, reply) {
      await sleep(30)
      return reply.code(502).send({ failed: error.message })
    })
    child.get('/invoices', async () => {
      throw new Error('ledger down')
    })
  })
  assert.equal((await app.inject('/nowhere')).statusCode, 404)
  assert.equal((await app.inject('/invoices')).statusCode, 502)
  const all = await spans()
  const named = (name) => all.find((s) => s.name === name)
  assert.equal(
    named('notFoundHandler - noSuchRoute')?.attributes['hook.name'],
    'fastify - not-found-handler'
  )
  assert.equal(named('onRequest - tenantLookup')?.attributes['hook.name'], 'billing - onRequest')
  const errorHandler = named('errorHandler - explainFailure')
  assert.equal(errorHandler?.attributes['fastify.type'], 'error-handler')
  assert.ok(millisOf(errorHandler) >= 29, `${millisOf(errorHandler)} ms`)
})

test("with the application's own SDK, slow steps are still spans; coverage is not claimed", async (t) => {
  const exporter = new InMemorySpanExporter()
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  const { registerApplicationSdk } = await import('../helpers.mjs')
  registerApplicationSdk(t, provider)
  const app = Fastify()
  t.after(() => app.close())
  await app.register(otelPlugin, { serviceName: 'app-sdk', handleSignals: false })
  assert.equal(app.otel.owner, 'application')
  app.get('/slow', { preHandler: waitABit }, async () => 'ok')
  await app.inject('/slow')
  const all = exporter.getFinishedSpans()
  const request = all.find((s) => s.name === 'GET /slow')
  const hook = all.find((s) => s.name === 'preHandler - waitABit')
  assert.ok(hook !== undefined, `have ${all.map((s) => s.name)}`)
  assert.equal(parentOf(hook), idOf(request))
  assertWithin(hook, request)
  assert.equal(request.attributes['fastify.request.uncovered_ms'], undefined)
  const [route] = app.otel.routeSummary().routes
  assert.equal(route.uncovered, undefined)
  assert.equal(route.slowest[0].name, 'preHandler - waitABit')
})

test("in 'slow', a slow step that the request's own spans cover gains no span; the summary lists it", async (t) => {
  const { app, spans } = await tracedApp(t, { options: { slowThresholdMillis: 30, blockingThresholdMillis: 1000 } })
  // The handler waits 60 ms inside a span of its own: slow, and explained. The hook waits 60 ms in no span.
  app.get(
    '/explained',
    { preHandler: waitABit },
    async function queryTheLedger () {
      return withSpan('ledger.query', async () => {
        await sleep(60)
        return 'rows'
      })
    }
  )
  await app.inject('/explained')
  const all = await spans()
  assert.deepEqual(childrenNamed(all, 'GET /explained').sort(), ['ledger.query', 'preHandler - waitABit'])
  const [route] = app.otel.routeSummary().routes
  const handler = route.slowest.find((s) => s.name === 'handler - queryTheLedger')
  assert.ok(handler !== undefined, JSON.stringify(route.slowest))
  assert.equal(route.slowest[0].name, 'preHandler - waitABit', 'ranked by the uncovered time it explains')
})

test('the uncovered time is also a histogram per route: fastify.request.uncovered.duration, in seconds', async (t) => {
  const { app, spans, metrics } = await tracedApp(t, { options: ROBUST })
  app.get('/refunds/:orderId', { preHandler: waitABit }, async () => 'ok')
  app.get('/health', async () => withSpan('probe', () => 'up'))
  await app.inject('/refunds/1')
  await app.inject('/refunds/2')
  await app.inject('/health')
  const requests = (await spans()).filter((s) => s.kind === SpanKind.SERVER)
  const histogram = (await metrics.metrics()).get('fastify.request.uncovered.duration')
  assert.ok(histogram !== undefined, 'no fastify.request.uncovered.duration')
  assert.equal(histogram.descriptor.unit, 's')
  const byRoute = new Map(histogram.dataPoints.map((p) => [p.attributes['http.route'], p]))
  assert.deepEqual([...byRoute.keys()].sort(), ['/health', '/refunds/:orderId'])
  const refunds = byRoute.get('/refunds/:orderId')
  assert.equal(refunds.attributes['http.request.method'], 'GET')
  assert.equal(refunds.value.count, 2)
  // The same figure as the request spans' attribute (which is rounded to the microsecond).
  const fromSpans = requests
    .filter((s) => s.attributes['http.route'] === '/refunds/:orderId')
    .reduce((sum, s) => sum + s.attributes['fastify.request.uncovered_ms'], 0)
  assert.ok(fromSpans >= 118, `${fromSpans} ms`)
  assert.ok(Math.abs(refunds.value.sum * 1000 - fromSpans) < 0.01, `${refunds.value.sum} s against ${fromSpans} ms`)
  assert.equal(byRoute.get('/health').value.count, 1)
})

test('a slow async handler that rejects: its span records the error, which reaches Fastify unchanged', async (t) => {
  const { app, spans } = await tracedApp(t, { options: ROBUST })
  class LedgerDown extends Error {
    statusCode = 503
  }
  const thrown = new LedgerDown('ledger down')
  let seen
  app.setErrorHandler(function explain (error, request, reply) {
    seen = error
    reply.code(error.statusCode).send({ failed: error.message })
  })
  app.get('/ledger', async function readLedger () {
    await sleep(60)
    throw thrown
  })
  const res = await app.inject('/ledger')
  assert.equal(res.statusCode, 503)
  assert.equal(seen, thrown)
  const all = await spans()
  const handler = all.find((s) => s.name === 'handler - readLedger')
  assert.ok(handler !== undefined, `have ${all.map((s) => s.name)}`)
  assert.ok(millisOf(handler) >= 59 && millisOf(handler) < 1000, `${millisOf(handler)} ms`)
  assert.equal(handler.status.code, SpanStatusCode.ERROR)
  assert.equal(handler.attributes['error.type'], 'LedgerDown')
  assertWithin(handler, requestSpanOf(all))
})
