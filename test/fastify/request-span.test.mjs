// The request span: name, kind, attributes, status, errors, opt-outs.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { serve, tracedApp, untilSpans } from '../helpers.mjs'

test('a matched route gives a SERVER span named METHOD /route/template with the stable HTTP attributes', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  app.get('/orders/:id', async () => ({ ok: true }))
  const res = await app.inject({
    url: '/orders/42?expand=items',
    headers: { 'user-agent': 'curl/8', host: 'shop.example:8080' }
  })
  assert.equal(res.statusCode, 200)
  const span = await spanNamed('GET /orders/:id')
  assert.equal(span.kind, SpanKind.SERVER)
  assert.equal(span.parentSpanContext, undefined)
  // Coverage (no child here: all of it uncovered) is lifecycle-timing.test.mjs's subject.
  const { 'fastify.request.uncovered_ms': uncovered, 'fastify.request.uncovered_share': share, ...http } =
    span.attributes
  assert.equal(typeof uncovered, 'number')
  assert.equal(share, 1)
  assert.deepEqual(http, {
    'http.request.method': 'GET',
    'url.path': '/orders/42',
    'url.query': 'expand=items',
    'url.scheme': 'http',
    'http.route': '/orders/:id',
    'server.address': 'shop.example',
    'server.port': 8080,
    'client.address': '127.0.0.1',
    'user_agent.original': 'curl/8',
    'network.protocol.version': '1.1',
    'http.response.status_code': 200
  })
  assert.equal(span.status.code, SpanStatusCode.UNSET)
  assert.equal(span.instrumentationScope.name, 'fastify-otel-kit')
})

test('sensitive query values are redacted in url.query; url.path never has the query', async (t) => {
  const { app, spanNamed } = await tracedApp(t, { options: { redactQueryParams: ['token'] } })
  app.get('/download', async () => 'ok')
  await app.inject({ url: '/download?X-Amz-Signature=secret1&file=a.txt&sig=s2&token=t3&AWSAccessKeyId=k' })
  const span = await spanNamed('GET /download')
  assert.equal(span.attributes['url.path'], '/download')
  assert.equal(
    span.attributes['url.query'],
    'X-Amz-Signature=REDACTED&file=a.txt&sig=REDACTED&token=REDACTED&AWSAccessKeyId=REDACTED'
  )
})

test('no matching route: the span is named after the method only and 404 leaves the status unset', async (t) => {
  const { app, spans } = await tracedApp(t)
  const res = await app.inject({ url: '/nothing/here' })
  assert.equal(res.statusCode, 404)
  const [span] = await spans()
  assert.equal(span.name, 'GET')
  assert.equal(span.attributes['http.route'], undefined)
  assert.equal(span.attributes['http.response.status_code'], 404)
  assert.equal(span.status.code, SpanStatusCode.UNSET)
})

test('an unknown method is reported as _OTHER with the original kept, and the span is named HTTP', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  app.addHttpMethod('PROPFIND')
  app.route({ method: 'PROPFIND', url: '/dav', handler: async () => 'ok' })
  await app.inject({ method: 'PROPFIND', url: '/dav' })
  const span = await spanNamed('HTTP')
  assert.equal(span.attributes['http.request.method'], '_OTHER')
  assert.equal(span.attributes['http.request.method_original'], 'PROPFIND')
})

test('a thrown error: exception event, error.type, status ERROR for the resulting 500', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  class GatewayTimeoutError extends Error {}
  app.get('/refund', async () => {
    throw new GatewayTimeoutError('gateway timed out')
  })
  const res = await app.inject({ url: '/refund' })
  assert.equal(res.statusCode, 500)
  const span = await spanNamed('GET /refund')
  assert.equal(span.status.code, SpanStatusCode.ERROR)
  assert.equal(span.attributes['error.type'], 'GatewayTimeoutError')
  assert.equal(span.attributes['http.response.status_code'], 500)
  const exception = span.events.find((e) => e.name === 'exception')
  assert.equal(exception.attributes['exception.message'], 'gateway timed out')
  assert.equal(exception.attributes['exception.type'], 'Error')
})

test('a 4xx from a thrown client error records the exception but leaves the server span UNSET', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  app.post('/items', { schema: { body: { type: 'object', required: ['name'] } } }, async () => 'ok')
  const res = await app.inject({ method: 'POST', url: '/items', payload: {} })
  assert.equal(res.statusCode, 400)
  const span = await spanNamed('POST /items')
  assert.equal(span.status.code, SpanStatusCode.UNSET)
  assert.equal(span.attributes['error.type'], undefined)
  assert.ok(span.events.some((e) => e.name === 'exception'))
})

test('a 5xx sent without an exception is ERROR with error.type set to the status code', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  app.get('/down', async (request, reply) => reply.code(503).send('maintenance'))
  await app.inject({ url: '/down' })
  const span = await spanNamed('GET /down')
  assert.equal(span.status.code, SpanStatusCode.ERROR)
  assert.equal(span.attributes['error.type'], '503')
})

test('route config otel: false, an ignore list and an ignore function leave requests untraced', async (t) => {
  const { app, spans } = await tracedApp(t, {
    options: { ignore: (request) => request.headers['x-synthetic'] === '1' }
  })
  app.get('/internal', { config: { otel: false } }, async (request) => ({
    traced: request.otel.traced,
    traceId: request.otel.traceId
  }))
  app.get('/kept', async () => 'ok')
  const internal = await app.inject({ url: '/internal' })
  assert.deepEqual(internal.json(), { traced: false, traceId: '00000000000000000000000000000000' })
  await app.inject({ url: '/kept', headers: { 'x-synthetic': '1' } })
  await app.inject({ url: '/kept' })
  assert.deepEqual(
    (await spans()).map((s) => s.name),
    ['GET /kept']
  )
})

test('an ignore list matches route templates and plain paths (health checks)', async (t) => {
  const { app, spans } = await tracedApp(t, { options: { ignore: ['/health', '/users/:id/ping'] } })
  app.get('/health', async () => 'ok')
  app.get('/users/:id/ping', async () => 'pong')
  app.get('/users/:id', async () => 'user')
  await app.inject({ url: '/health?probe=1' })
  await app.inject({ url: '/users/3/ping' })
  await app.inject({ url: '/users/3' })
  assert.deepEqual(
    (await spans()).map((s) => s.name),
    ['GET /users/:id']
  )
})

test('spanName, requestAttributes and responseAttributes options shape the span', async (t) => {
  const { app, spans } = await tracedApp(t, {
    options: {
      spanName: (request) => `checkout ${request.method}`,
      requestAttributes: (request) => ({ 'tenant.id': request.headers['x-tenant'] }),
      responseAttributes: (request, reply) => ({ 'cache.hit': reply.getHeader('x-cache') === 'HIT' }),
      captureHeaders: { request: ['X-Request-Id'], response: ['x-cache'] }
    }
  })
  app.get('/cart', async (request, reply) => {
    reply.header('x-cache', 'HIT')
    return 'ok'
  })
  await app.inject({ url: '/cart', headers: { 'x-tenant': 'acme', 'x-request-id': 'r-1' } })
  const [span] = await spans()
  assert.equal(span.name, 'checkout GET')
  assert.equal(span.attributes['tenant.id'], 'acme')
  assert.equal(span.attributes['cache.hit'], true)
  assert.deepEqual(span.attributes['http.request.header.x-request-id'], ['r-1'])
  assert.deepEqual(span.attributes['http.response.header.x-cache'], ['HIT'])
})

test('a throwing user hook is logged and never fails the request', async (t) => {
  const boom = () => {
    throw new Error('user bug')
  }
  const { app, spans, logs } = await tracedApp(t, {
    options: { spanName: boom, requestAttributes: boom, responseAttributes: boom, ignore: boom }
  })
  app.get('/fine', async () => 'ok')
  const res = await app.inject({ url: '/fine' })
  assert.equal(res.statusCode, 200)
  assert.equal(res.body, 'ok')
  const [span] = await spans()
  assert.equal(span.name, 'GET /fine')
  const reported = logs.lines.filter((l) => l.level === 50 && /option threw/.test(l.msg)).map((l) => l.msg)
  assert.deepEqual(reported.sort(), [
    'fastify-otel-kit: the ignore option threw; ignored for this request',
    'fastify-otel-kit: the requestAttributes option threw; ignored for this request',
    'fastify-otel-kit: the responseAttributes option threw; ignored for this request',
    'fastify-otel-kit: the spanName option threw; ignored for this request'
  ])
})

/**
 * A server that does what instrumentation-http does for every inbound request: a SERVER span of
 * `scope`, active while the request is handled, ended after the response's 'close'.
 */
async function serverSpanFactory (scope, spanIds) {
  const { trace } = await import('@opentelemetry/api')
  const { createServer } = await import('node:http')
  return (handler) =>
    createServer((req, res) => {
      trace.getTracer(scope).startActiveSpan('GET', { kind: SpanKind.SERVER }, (httpSpan) => {
        spanIds.push(httpSpan.spanContext().spanId)
        res.on('close', () => httpSpan.end())
        handler(req, res)
      })
    })
}

test("inside instrumentation-http's SERVER span for the request (preloaded) that span is the request span: " +
  'one SERVER span per request', async (t) => {
  const spanIds = []
  const { app, exporter } = await tracedApp(t, {
    fastify: { serverFactory: await serverSpanFactory('@opentelemetry/instrumentation-http', spanIds) }
  })
  app.get('/nested/:id', async (request) => ({ spanId: request.otel.spanId }))
  const body = await (await fetch(`${await serve(app)}/nested/7?token=abc`)).json()
  assert.equal(body.spanId, spanIds[0])
  const all = await untilSpans(app, exporter, (spans) => spans.length >= 1)
  assert.equal(all.length, 1)
  const [server] = all
  assert.equal(server.kind, SpanKind.SERVER)
  assert.equal(server.name, 'GET /nested/:id')
  assert.equal(server.attributes['http.route'], '/nested/:id')
  assert.equal(server.attributes['url.query'], 'token=REDACTED')
  assert.equal(server.attributes['http.response.status_code'], 200)
})

test("another tracer's active SERVER span is not taken over: the request span is the plugin's own", async (t) => {
  const spanIds = []
  const { app, exporter } = await tracedApp(t, {
    fastify: { serverFactory: await serverSpanFactory('some-other-server-instrumentation', spanIds) }
  })
  app.get('/nested/:id', async (request) => ({ spanId: request.otel.spanId }))
  const body = await (await fetch(`${await serve(app)}/nested/7`)).json()
  assert.notEqual(body.spanId, spanIds[0])
  const all = await untilSpans(app, exporter, (spans) => spans.length >= 2)
  const other = all.find((s) => s.spanContext().spanId === spanIds[0])
  assert.equal(other.name, 'GET')
  assert.equal(other.attributes['http.route'], undefined)
  assert.equal(all.find((s) => s.spanContext().spanId === body.spanId).name, 'GET /nested/:id')
})
