// The request's context is active in every hook and the handler, and spans started there are
// children of the request span.
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { idOf, parentOf, post, postBodyLater, serve, tracedApp } from '../helpers.mjs'

/** Starts and ends a span named `name` in whatever context is active right now. */
function childSpan (name) {
  trace.getTracer('test').startSpan(name).end()
}

test('every lifecycle hook and the handler see the request span, including code after await', async (t) => {
  const seen = {}
  const remember = (stage) => {
    seen[stage] = trace.getActiveSpan()?.spanContext().spanId
  }
  const { app, spans } = await tracedApp(t, {
    before: (app) => {
      // Registered before the plugin: it still runs inside the request context.
      app.addHook('onRequest', async () => {
        remember('onRequest (before plugin)')
        childSpan('early-onRequest')
      })
      // A callback hook that resumes from outside the request context (a pooled client, say)...
      app.addHook('preValidation', (request, reply, done) => {
        context.with(ROOT_CONTEXT, () => setImmediate(done))
      })
      // ...and the next hook, also registered before the plugin, must still see the request span.
      app.addHook('preHandler', (request, reply, done) => {
        remember('preHandler (before plugin, callback)')
        done()
      })
    }
  })
  app.addHook('onRequest', (request, reply, done) => {
    remember('onRequest')
    done()
  })
  let parsingStarted
  const serverParsing = new Promise((resolve) => {
    parsingStarted = resolve
  })
  app.addHook('preParsing', async (request, reply, payload) => {
    remember('preParsing')
    parsingStarted()
    return payload
  })
  app.addHook('preValidation', async () => {
    remember('preValidation')
  })
  app.addHook('preHandler', async () => {
    await delay(1)
    remember('preHandler after await')
  })
  app.addHook('preSerialization', async (request, reply, payload) => {
    remember('preSerialization')
    return payload
  })
  app.addHook('onSend', async (request, reply, payload) => {
    remember('onSend')
    return payload
  })
  app.addHook('onResponse', async () => {
    remember('onResponse')
    childSpan('in-onResponse')
  })
  app.post('/orders', async (request) => {
    remember('handler')
    await delay(2)
    remember('handler after await')
    childSpan('in-handler')
    return { ok: true }
  })

  // Over a real socket a body that arrives after the headers is parsed from stream events that
  // belong to the connection, not to the request: the classic place where context is lost.
  // (inject(), or a body in the same packet as the headers, would not show it.)
  const base = await serve(app)
  const res = await postBodyLater(`${base}/orders`, JSON.stringify({ item: 'book' }), serverParsing)
  assert.equal(res.status, 200)
  const all = await spans()
  const request = all.find((s) => s.name === 'POST /orders')
  const requestSpanId = idOf(request)
  for (const [stage, spanId] of Object.entries(seen)) assert.equal(spanId, requestSpanId, `${stage} saw another span`)
  assert.equal(Object.keys(seen).length, 11)
  for (const name of ['early-onRequest', 'in-handler', 'in-onResponse']) {
    assert.equal(
      parentOf(all.find((s) => s.name === name)),
      requestSpanId,
      `${name} is not a child of the request span`
    )
  }
})

test('route-level hooks, the handler and callback hooks that lose the context still run in it', async (t) => {
  const seen = []
  const { app, spanNamed } = await tracedApp(t)
  app.get(
    '/things',
    {
      onRequest: [
        (request, reply, done) => {
          seen.push(['route onRequest', trace.getActiveSpan()?.spanContext().spanId])
          // A library that calls back from outside the request context (a pooled connection, say).
          context.with(ROOT_CONTEXT, () => setImmediate(done))
        }
      ],
      preHandler: async () => {
        seen.push(['route preHandler', trace.getActiveSpan()?.spanContext().spanId])
      }
    },
    async () => {
      seen.push(['handler', trace.getActiveSpan()?.spanContext().spanId])
      return 'ok'
    }
  )
  await app.inject({ url: '/things' })
  const span = await spanNamed('GET /things')
  assert.deepEqual(seen, [
    ['route onRequest', idOf(span)],
    ['route preHandler', idOf(span)],
    ['handler', idOf(span)]
  ])
})

test('hooks and routes in encapsulated child plugins run in the request context', async (t) => {
  let inChild
  const { app, spanNamed } = await tracedApp(t)
  await app.register(
    async (child) => {
      child.addHook('preHandler', async () => {
        inChild = trace.getActiveSpan()?.spanContext().spanId
      })
      child.get('/child', async () => 'ok')
    },
    { prefix: '/api' }
  )
  await app.inject({ url: '/api/child' })
  assert.equal(inChild, idOf(await spanNamed('GET /api/child')))
})

test('a custom error handler runs in the request context, also for a body that fails to parse', async (t) => {
  const seen = []
  const { app, spans } = await tracedApp(t)
  app.setErrorHandler(async (error, request, reply) => {
    seen.push(trace.getActiveSpan()?.spanContext().spanId)
    childSpan('in-error-handler')
    return reply.code(error.statusCode ?? 500).send({ handled: error.message })
  })
  app.post('/json', async () => {
    throw new Error('handler failed')
  })
  const base = await serve(app)
  assert.equal((await post(`${base}/json`, JSON.stringify({ a: 1 }))).status, 500)
  assert.equal((await post(`${base}/json`, '{"broken')).status, 400)
  const all = await spans()
  const requests = all.filter((s) => s.name === 'POST /json')
  assert.equal(requests.length, 2)
  assert.deepEqual(seen, requests.map(idOf))
  const children = all.filter((s) => s.name === 'in-error-handler')
  assert.deepEqual(children.map(parentOf), requests.map(idOf))
})

test('a custom not-found handler runs in the request context', async (t) => {
  let inNotFound
  const { app, spans } = await tracedApp(t)
  app.setNotFoundHandler(
    {
      preHandler: async () => {
        childSpan('not-found-preHandler')
      }
    },
    async (request, reply) => {
      inNotFound = trace.getActiveSpan()?.spanContext().spanId
      return reply.code(404).send({ missing: request.url })
    }
  )
  const res = await app.inject({ url: '/missing' })
  assert.equal(res.statusCode, 404)
  const all = await spans()
  const request = all.find((s) => s.name === 'GET')
  assert.equal(inNotFound, idOf(request))
  assert.equal(parentOf(all.find((s) => s.name === 'not-found-preHandler')), idOf(request))
})

test("concurrent requests never see each other's context", async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/slow/:n', async (request) => {
    const before = trace.getActiveSpan()?.spanContext().spanId
    await delay(Number(request.params.n))
    const after = trace.getActiveSpan()?.spanContext().spanId
    return { before, after, own: request.otel.spanId }
  })
  const bodies = await Promise.all([5, 1, 3, 0, 4].map((n) => app.inject({ url: `/slow/${n}` }).then((r) => r.json())))
  for (const body of bodies) {
    assert.equal(body.before, body.own)
    assert.equal(body.after, body.own)
  }
  assert.equal(new Set(bodies.map((b) => b.own)).size, 5)
  assert.equal((await spans()).length, 5)
})

test('nothing stays active after the request: code outside requests sees no span', async (t) => {
  const { app } = await tracedApp(t)
  app.get('/x', async () => 'ok')
  await app.inject({ url: '/x' })
  assert.equal(trace.getActiveSpan(), undefined)
})

test('wrapped hooks get every argument Fastify passes, also hooks written with rest parameters', async (t) => {
  const seen = []
  const { app, spanNamed } = await tracedApp(t)
  app.addHook('preHandler', function (...args) {
    seen.push([args.length, trace.getActiveSpan()?.spanContext().spanId])
    args[2]()
  })
  app.addHook('onSend', function (...args) {
    seen.push([args.length, trace.getActiveSpan()?.spanContext().spanId])
    args[3](null, args[2])
  })
  app.get('/rest', async () => 'ok')
  const res = await app.inject({ url: '/rest' })
  assert.equal(res.body, 'ok')
  const id = idOf(await spanNamed('GET /rest'))
  assert.deepEqual(seen, [
    [3, id],
    [4, id]
  ])
})
