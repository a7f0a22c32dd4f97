// OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS, the semantic conventions' override of the HTTP methods
// an instrumentation knows: it replaces the default list whole, for the request span's name and
// http.request.method and for the request metrics; a method outside it is _OTHER, its name kept in
// http.request.method_original. A value that is not a list of methods is warned about by name.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { tracedApp, withEnv } from '../helpers.mjs'

/** An app with a WebDAV method of its own, and a GET and a POST route. */
async function davApp (t) {
  const traced = await tracedApp(t, {
    before: async (app) => {
      app.addHttpMethod('PROPFIND')
    }
  })
  traced.app.route({ method: 'PROPFIND', url: '/files/:name', handler: async () => 'props' })
  traced.app.get('/files/:name', async () => 'file')
  traced.app.post('/files/:name', async () => 'stored')
  for (const method of ['PROPFIND', 'GET', 'POST']) {
    const response = await traced.app.inject({ method, url: '/files/report.pdf' })
    assert.equal(response.statusCode, 200, method)
  }
  const spans = await traced.spans()
  const methods = pointsMethods(await traced.metrics.metrics())
  return { ...traced, spans, methods }
}

const pointsMethods = (collected) =>
  collected
    .get('http.server.request.duration')
    .dataPoints.map((p) => p.attributes['http.request.method'])
    .sort()

test('by default PROPFIND is _OTHER: span named HTTP, the method kept in http.request.method_original', async (t) => {
  const { app, spans, methods } = await davApp(t)
  assert.deepEqual(app.otel.config.knownHttpMethods.source, 'default')
  const dav = spans.find((span) => span.attributes['http.request.method_original'] === 'PROPFIND')
  assert.equal(dav.name, 'HTTP')
  assert.equal(dav.attributes['http.request.method'], '_OTHER')
  assert.deepEqual(methods, ['GET', 'POST', '_OTHER'])
})

test('OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS=GET,PROPFIND replaces the list: PROPFIND and GET are known, ' +
  'POST is _OTHER', async (t) => {
  withEnv(t, { OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: ' GET , PROPFIND ' })
  const { app, spans, methods, logs } = await davApp(t)
  assert.deepEqual(app.otel.config.knownHttpMethods, {
    value: ['GET', 'PROPFIND'],
    source: 'env',
    env: 'OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS'
  })
  assert.deepEqual(spans.map((span) => span.name).sort(), ['GET /files/:name', 'HTTP', 'PROPFIND /files/:name'])
  const post = spans.find((span) => span.name === 'HTTP')
  assert.deepEqual(
    [post.attributes['http.request.method'], post.attributes['http.request.method_original']],
    ['_OTHER', 'POST']
  )
  assert.deepEqual(methods, ['GET', 'PROPFIND', '_OTHER'])
  // Not reported as a variable nobody reads.
  assert.ok(!logs.lines.some((l) => l.code === 'FOK_WARN_ENV_IGNORED'), JSON.stringify(logs.lines))
})

test('a value that is not a list of methods is warned about by name, and the default list is used', async (t) => {
  withEnv(t, { OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: 'GET,PROP FIND' })
  const { app, methods, logs } = await davApp(t)
  assert.equal(app.otel.config.knownHttpMethods.source, 'default')
  const warning = logs.lines.find((l) => l.code === 'FOK_WARN_CONFIG' && /KNOWN_METHODS/.test(l.msg))
  assert.match(warning.msg, /^fastify-otel-kit: OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS=.* is invalid \(member 2 is not/)
  assert.deepEqual(methods, ['GET', 'POST', '_OTHER'])
})
