// Fastify's phases are timed through internals it keeps on each route's context (the compiled
// serializers and validators, the reply serializer) and on the instance (its Reply class):
// plugin/lifecycle-phases.ts finds them by their symbols' descriptions. If this file fails, the
// installed Fastify moved one, and serialization or validation would silently stop being timed.
import Fastify from 'fastify'
import assert from 'node:assert/strict'
import { test } from 'node:test'

const own = (object) => new Map(Object.getOwnPropertySymbols(object).map((s) => [s.description, object[s]]))

test("this Fastify keeps a route's serializers and validators where the plugin looks for them", async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  let routeContext
  app.addHook('onRequest', async (request) => {
    routeContext = own(request).get('fastify.context')
  })
  app.post(
    '/items/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string' } } },
        querystring: { type: 'object', properties: { q: { type: 'string' } } },
        headers: { type: 'object', properties: { 'x-a': { type: 'string' } } },
        body: { type: 'object', properties: { n: { type: 'number' } } },
        response: { 200: { type: 'object', properties: { n: { type: 'number' } } } }
      }
    },
    async (request) => ({ n: request.body.n })
  )
  await app.inject({ method: 'POST', url: '/items/1', payload: { n: 1 } })
  assert.ok(routeContext !== undefined, "no 'fastify.context' on the request")
  const slots = own(routeContext)
  for (const name of ['params-schema', 'body-schema', 'querystring-schema', 'headers-schema']) {
    assert.equal(typeof slots.get(name), 'function', name)
  }
  // Ajv's validators: Fastify passes the request as parentData when schemaEnv is there.
  assert.ok(slots.get('body-schema').schemaEnv !== undefined)
  assert.equal(typeof slots.get('response-schema')?.['200'], 'function')
  assert.ok(slots.has('fastify.replySerializerDefault'), 'the reply serializer slot')
})

test('this Fastify gives replies a serializer method on a prototype reachable from the instance', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  const Reply = own(app).get('fastify.Reply')
  assert.equal(typeof Reply, 'function', "no 'fastify.Reply' on the instance")
  let prototype = Reply.prototype
  while (prototype !== null && !Object.prototype.hasOwnProperty.call(prototype, 'serializer')) {
    prototype = Object.getPrototypeOf(prototype)
  }
  assert.ok(prototype !== null, 'no serializer method on the Reply prototypes')
  let reply
  app.get('/', async (request, r) => {
    reply = r
    return 'ok'
  })
  await app.inject('/')
  assert.ok(Object.prototype.isPrototypeOf.call(prototype, reply), 'the replies Fastify makes inherit that method')
})
