// HTTP metrics from the request span: every request counted once, sampled or not, timed by its
// span when one is recorded and by the clock read at its start otherwise; the stable attributes;
// active requests; outbound calls; what the Metrics API sees (the global MeterProvider, both API
// builds); metrics off.
import { metrics as esmMetrics } from '@opentelemetry/api'
import { AggregationTemporality, AggregationType } from '@opentelemetry/sdk-metrics'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import http, { createServer } from 'node:http'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { logCapture, sampledParent, serve, tracedApp, TestMetricReader, unsampledParent, withEnv } from '../helpers.mjs'

// This file is an ES module: the CommonJS build of the API (the one the package registers through) by require.
const { metrics: cjsMetrics } = createRequire(import.meta.url)('@opentelemetry/api')
const ADVISED = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

function pointsOf (metric) {
  return (metric?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value }))
}

test('every request counted once, sampled or not, with the stable attributes and the advised buckets', async (t) => {
  const { app, metrics } = await tracedApp(t, { options: { sampler: 'parentbased_always_on' } })
  app.get('/orders/:id', async () => ({ ok: true }))
  app.get('/fail', async () => {
    throw new TypeError('nope')
  })
  app.get('/teapot', async (_req, reply) => reply.code(418).send('short and stout'))
  await app.inject({ url: '/orders/1', headers: { traceparent: sampledParent } })
  await app.inject({ url: '/orders/2', headers: { traceparent: unsampledParent } })
  await app.inject({ url: '/orders/3' })
  await app.inject({ url: '/fail' })
  await app.inject({ url: '/teapot' })
  await app.inject({ url: '/nowhere' })

  const duration = (await metrics.metrics()).get('http.server.request.duration')
  assert.equal(duration.descriptor.unit, 's')
  const byRoute = new Map(
    pointsOf(duration).map((p) => [`${p.attributes['http.route']} ${p.attributes['http.response.status_code']}`, p])
  )
  const orders = byRoute.get('/orders/:id 200')
  assert.deepEqual(orders.attributes, {
    'http.request.method': 'GET',
    'url.scheme': 'http',
    'http.route': '/orders/:id',
    'http.response.status_code': 200,
    'network.protocol.version': '1.1'
  })
  assert.equal(orders.value.count, 3, 'the sampled, the unsampled and the root request')
  assert.deepEqual(orders.value.buckets.boundaries, ADVISED)
  assert.ok(orders.value.sum > 0 && orders.value.sum < 3)
  // A 5xx: error.type is the thrown error's type. A 4xx is not an error on the server side.
  assert.equal(byRoute.get('/fail 500').attributes['error.type'], 'TypeError')
  assert.equal(byRoute.get('/teapot 418').attributes['error.type'], undefined)
  // No route matched: no http.route, counted all the same.
  assert.equal(byRoute.get('undefined 404').value.count, 1)
  assert.equal(
    pointsOf(duration).reduce((n, p) => n + p.value.count, 0),
    6
  )
})

test('a recorded request is timed by its span (no second clock); an unrecorded one by ' +
  'the clock at its start', async (t) => {
  const { app, metrics, spans } = await tracedApp(t)
  app.get('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 30))
    return 'done'
  })
  await app.inject({ url: '/slow', headers: { traceparent: sampledParent } })
  const [span] = await spans()
  const seconds = span.duration[0] + span.duration[1] / 1e9
  let [point] = pointsOf((await metrics.metrics()).get('http.server.request.duration'))
  assert.equal(point.value.sum, seconds, 'the histogram holds exactly the span duration')

  await app.inject({ url: '/slow', headers: { traceparent: unsampledParent } })
  ;[point] = pointsOf((await metrics.metrics()).get('http.server.request.duration'))
  assert.equal(point.value.count, 2)
  assert.ok(point.value.sum - seconds >= 0.029, 'the unrecorded request took its 30 ms too')
})

test('with trustProxy, X-Forwarded-Proto gives the metrics\' url.scheme only as http or https: a forged value ' +
  'is the connection\'s scheme, so a client cannot make a series per value; the span keeps what it said', async (t) => {
  const { app, metrics, spans } = await tracedApp(t, { fastify: { trustProxy: true } })
  app.get('/orders/:id', async () => 'ok')
  const forged = Array.from({ length: 50 }, (_, i) => `javascript${i}`)
  for (const proto of ['https', 'HTTPS', 'http', ...forged]) {
    await app.inject({ url: '/orders/1', headers: { 'x-forwarded-proto': proto } })
  }
  const collected = await metrics.metrics()
  const schemes = (name) => new Set(pointsOf(collected.get(name)).map((p) => p.attributes['url.scheme']))
  assert.deepEqual(schemes('http.server.request.duration'), new Set(['https', 'http']))
  assert.deepEqual(schemes('http.server.active_requests'), new Set(['https', 'http']))
  const duration = pointsOf(collected.get('http.server.request.duration'))
  assert.equal(duration.find((p) => p.attributes['url.scheme'] === 'https').value.count, 2)
  // app.inject's connection is not TLS: every forged value counts as http.
  assert.equal(duration.find((p) => p.attributes['url.scheme'] === 'http').value.count, 51)
  assert.equal((await spans()).filter((span) => span.attributes['url.scheme'] === 'javascript7').length, 1)
})

test('metrics do not depend on the sampler: always_off counts every request', async (t) => {
  const { app, metrics, spans } = await tracedApp(t, { options: { sampler: 'always_off' } })
  app.get('/', async () => 'ok')
  for (let i = 0; i < 5; i++) await app.inject({ url: '/' })
  assert.equal((await spans()).length, 0)
  const [point] = pointsOf((await metrics.metrics()).get('http.server.request.duration'))
  assert.equal(point.value.count, 5)
})

test('ignored routes are neither traced nor counted', async (t) => {
  const { app, metrics } = await tracedApp(t, { options: { ignore: ['/health'] } })
  app.get('/health', async () => 'ok')
  app.get('/quiet', { config: { otel: false } }, async () => 'ok')
  app.get('/counted', async () => 'ok')
  for (const url of ['/health', '/quiet', '/counted']) await app.inject({ url })
  const points = pointsOf((await metrics.metrics()).get('http.server.request.duration'))
  assert.deepEqual(
    points.map((p) => p.attributes['http.route']),
    ['/counted']
  )
})

test('http.server.active_requests: up while a request runs, down when it ends, aborted ones included', async (t) => {
  const { app, metrics } = await tracedApp(t)
  let release
  const held = new Promise((resolve) => {
    release = resolve
  })
  let entered
  const inside = new Promise((resolve) => {
    entered = resolve
  })
  app.get('/hold', async () => {
    entered()
    await held
    return 'released'
  })
  let enteredAgain
  const insideAgain = new Promise((resolve) => {
    enteredAgain = resolve
  })
  app.get('/hang', async (request) => {
    enteredAgain()
    await once(request.raw.socket, 'close')
    return 'late'
  })
  const url = await serve(app)
  const active = async () => pointsOf((await metrics.metrics()).get('http.server.active_requests'))
  const pending = fetch(`${url}/hold`)
  await inside
  assert.deepEqual(await active(), [{ attributes: { 'http.request.method': 'GET', 'url.scheme': 'http' }, value: 1 }])
  release()
  await (await pending).text()
  await app.otel.forceFlush()
  // The response's close event has come once fetch has read the body; a turn for it.
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal((await active())[0].value, 0)

  // A client that goes away: counted as ended, error.type aborted.
  const aborted = new AbortController()
  const gone = fetch(`${url}/hang`, { signal: aborted.signal }).catch(() => {})
  await insideAgain
  aborted.abort()
  await gone
  for (let i = 0; i < 200 && (await active())[0].value !== 0; i++) await new Promise((resolve) => setImmediate(resolve))
  assert.equal((await active())[0].value, 0)
  const hang = pointsOf((await metrics.metrics()).get('http.server.request.duration')).find(
    (p) => p.attributes['http.route'] === '/hang'
  )
  assert.equal(hang.attributes['error.type'], 'aborted')
})

test('outbound calls through request.otel.fetch record http.client.request.duration, sampled or not', async (t) => {
  const downstream = createServer((req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : 200
    res.end('ok')
  })
  downstream.listen(0, '127.0.0.1')
  await once(downstream, 'listening')
  t.after(() => downstream.close())
  const base = `http://127.0.0.1:${downstream.address().port}`
  const { app, metrics } = await tracedApp(t)
  app.get('/call/:what', async (request) => {
    const response = await request.otel.fetch(`${base}/${request.params.what}`)
    return response.text()
  })
  await app.inject({ url: '/call/found', headers: { traceparent: sampledParent } })
  await app.inject({ url: '/call/found', headers: { traceparent: unsampledParent } })
  await app.inject({ url: '/call/missing' })
  const client = pointsOf((await metrics.metrics()).get('http.client.request.duration'))
  const ok = client.find((p) => p.attributes['http.response.status_code'] === 200)
  assert.deepEqual(ok.attributes, {
    'http.request.method': 'GET',
    'server.address': '127.0.0.1',
    'server.port': downstream.address().port,
    'url.scheme': 'http',
    'http.response.status_code': 200
  })
  assert.equal(ok.value.count, 2)
  const missing = client.find((p) => p.attributes['http.response.status_code'] === 404)
  assert.equal(missing.attributes['error.type'], '404')
})

test('the MeterProvider is the global one, for both builds of the API, and ' +
  'application instruments reach the readers', async (t) => {
  const { app, metrics } = await tracedApp(t)
  // The ES module build of @opentelemetry/api reads the same global slot as the CommonJS one.
  assert.notEqual(esmMetrics, cjsMetrics, 'two builds of the API')
  assert.equal(esmMetrics.getMeterProvider(), cjsMetrics.getMeterProvider())
  assert.equal(cjsMetrics.getMeterProvider(), app.otel.meterProvider)
  const orders = esmMetrics.getMeter('checkout').createCounter('orders.placed')
  orders.add(3, { region: 'eu' })
  const placed = (await metrics.metrics()).get('orders.placed')
  assert.deepEqual(pointsOf(placed), [{ attributes: { region: 'eu' }, value: 3 }])
  await app.close()
  // Released with the SDK: the global slot is empty again.
  assert.equal(cjsMetrics.getMeterProvider().constructor.name, 'NoopMeterProvider')
})

test('metrics: false, OTEL_METRICS_EXPORTER=none without readers, OTEL_SDK_DISABLED: ' +
  'no MeterProvider, nothing recorded', async (t) => {
  for (const [options, env] of [
    [{ metrics: false }, {}],
    [{}, { OTEL_METRICS_EXPORTER: 'none' }],
    [{}, { OTEL_SDK_DISABLED: 'true' }]
  ]) {
    await t.test(JSON.stringify({ options, env }), async (t) => {
      withEnv(t, env)
      const app = Fastify()
      t.after(() => app.close())
      await app.register(otelPlugin, {
        serviceName: 'off',
        exporter: { export: (s, done) => done({ code: 0 }), shutdown: async () => {} },
        handleSignals: false,
        ...options
      })
      app.get('/', async () => 'ok')
      await app.inject({ url: '/' })
      assert.equal(app.otel.meterProvider, undefined)
      assert.equal(cjsMetrics.getMeterProvider().constructor.name, 'NoopMeterProvider')
      assert.equal(app.otel.stats().metrics, undefined)
    })
  }
})

test('a delta reader gets each interval alone, and the views apply to the request metrics', async (t) => {
  const delta = new (class extends TestMetricReader {
    constructor () {
      super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA })
    }
  })()
  const { app } = await tracedApp(t, {
    options: {
      metrics: {
        exporter: 'none',
        readers: [delta],
        views: [
          {
            instrumentName: 'http.server.request.duration',
            name: 'http.server.latency',
            aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [1] } }
          }
        ]
      }
    }
  })
  app.get('/', async () => 'ok')
  await app.inject({ url: '/' })
  await app.inject({ url: '/' })
  let latency = (await delta.metrics()).get('http.server.latency')
  assert.equal(latency.aggregationTemporality, AggregationTemporality.DELTA)
  assert.deepEqual(latency.dataPoints[0].value.buckets, { boundaries: [1], counts: [2, 0] })
  await app.inject({ url: '/' })
  latency = (await delta.metrics()).get('http.server.latency')
  assert.equal(latency.dataPoints[0].value.count, 1)
  assert.equal((await delta.metrics()).get('http.server.request.duration'), undefined)
})

test('an SDK the application registered: the HTTP metrics go to its MeterProvider, ' +
  'through the Metrics API', async (t) => {
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics')
  const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace')
  const { registerApplicationSdk } = await import('../helpers.mjs')
  const processor = new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })
  registerApplicationSdk(t, new TracerProvider({ spanProcessors: [processor] }))
  const reader = new TestMetricReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  cjsMetrics.setGlobalMeterProvider(meterProvider)
  t.after(() => cjsMetrics.disable())
  const app = Fastify()
  t.after(() => app.close())
  await app.register(otelPlugin, { serviceName: 'app-owned', handleSignals: false })
  assert.equal(app.otel.owner, 'application')
  assert.equal(app.otel.meterProvider, meterProvider)
  app.get('/orders/:id', async () => 'ok')
  await app.inject({ url: '/orders/1' })
  await app.inject({ url: '/orders/2', headers: { traceparent: unsampledParent } })
  const duration = (await reader.metrics()).get('http.server.request.duration')
  assert.equal(duration.dataPoints.length, 1)
  assert.equal(duration.dataPoints[0].value.count, 2)
  assert.equal(duration.dataPoints[0].attributes['http.route'], '/orders/:id')
})

test("an SDK the application registered: app.otel.forceFlush() (and so the signal handler's flush) flushes " +
  'its log records and metrics too, not only its spans', async (t) => {
  const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter } = await import(
    '@opentelemetry/sdk-metrics'
  )
  const { LoggerProvider, BatchLogRecordProcessor, InMemoryLogRecordExporter } = await import('@opentelemetry/sdk-logs')
  const { TracerProvider, InMemorySpanExporter, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace')
  const { logs } = createRequire(import.meta.url)('@opentelemetry/api')
  const { registerApplicationSdk } = await import('../helpers.mjs')
  const spanExporter = new InMemorySpanExporter()
  const hour = 3_600_000
  const spanProcessor = new BatchSpanProcessor({ exporter: spanExporter, scheduledDelayMillis: hour })
  registerApplicationSdk(t, new TracerProvider({ spanProcessors: [spanProcessor] }))
  const metricExporter = new InMemoryMetricExporter({ aggregationTemporality: AggregationTemporality.CUMULATIVE })
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: hour })]
  })
  cjsMetrics.setGlobalMeterProvider(meterProvider)
  const logExporter = new InMemoryLogRecordExporter()
  const loggerProvider = new LoggerProvider({
    processors: [new BatchLogRecordProcessor({ exporter: logExporter, scheduledDelayMillis: hour })]
  })
  logs.setGlobalLoggerProvider(loggerProvider)
  t.after(async () => {
    await Promise.all([meterProvider.shutdown(), loggerProvider.shutdown()])
    cjsMetrics.disable()
    logs.disable()
  })
  const said = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: said.stream } })
  t.after(() => app.close())
  // lifecycleSpans off: the span count below is the request's, which a slow step would add to.
  await app.register(otelPlugin, { serviceName: 'app-owned', handleSignals: false, logs: true, lifecycleSpans: 'off' })
  assert.equal(app.otel.owner, 'application')
  const where = said.messages().find((m) => m.includes('log records from the Fastify logger'))
  assert.match(where, /they go to the LoggerProvider the application registered/)
  app.get('/orders/:id', async (request) => {
    request.log.info('loading order')
    return 'ok'
  })
  await app.inject({ url: '/orders/1' })
  await app.otel.forceFlush()
  assert.equal(spanExporter.getFinishedSpans().length, 1)
  assert.ok(
    logExporter.getFinishedLogRecords().some((record) => record.body === 'loading order'),
    'the log record was flushed'
  )
  const exported = metricExporter.getMetrics().flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics))
  assert.ok(
    exported.some((metric) => metric.descriptor.name === 'http.server.request.duration'),
    'the HTTP metrics were flushed'
  )
})

test('HTTP/2: network.protocol.version is "2", as the conventions write it, on the span and the metric', async (t) => {
  const { connect } = await import('node:http2')
  const { app, metrics, spanNamed } = await tracedApp(t, { fastify: { http2: true } })
  app.get('/h2', async () => 'over h2')
  await app.listen({ host: '127.0.0.1', port: 0 })
  const session = connect(`http://127.0.0.1:${app.server.address().port}`)
  t.after(() => session.close())
  const stream = session.request({ ':path': '/h2' })
  stream.resume()
  await once(stream, 'end')
  const span = await spanNamed('GET /h2')
  assert.equal(span.attributes['network.protocol.version'], '2')
  const [point] = pointsOf((await metrics.metrics()).get('http.server.request.duration'))
  assert.equal(point.attributes['network.protocol.version'], '2')
})

/** An app whose metrics go to a Prometheus endpoint on `port`, its log lines captured; closed after the test. */
async function prometheusApp (t, serviceName, port) {
  const { logCapture } = await import('../helpers.mjs')
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName,
    handleSignals: false,
    exporter: new (await import('@opentelemetry/sdk-trace')).InMemorySpanExporter(),
    metrics: { exporter: 'prometheus', prometheus: { host: '127.0.0.1', port } }
  })
  app.get('/ok', async () => 'ok')
  return { app, logs }
}

test('a scrape right after start waits for the resource detectors: no warning about pending attributes', async (t) => {
  const { freePort } = await import('../servers.mjs')
  const port = await freePort()
  const { app, logs } = await prometheusApp(t, 'scraped-early', port)
  await app.inject({ url: '/ok' })
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  assert.match(text, /http_server_request_duration_seconds_count\{[^}]*http_route="\/ok"[^}]*\} 1/)
  assert.match(text, /target_info\{[^}]*host_name="/, 'the resource, detected, is on the scrape')
  const warnings = logs.lines.filter((l) => l.level >= 40).map((l) => l.msg)
  assert.deepEqual(warnings.filter((m) => /async attributes|asynchronous attributes/i.test(m)), [])
})

test('a Prometheus port already taken is FOK_WARN_METRICS_ENDPOINT naming it; the service keeps serving', async (t) => {
  const taken = createServer(() => {})
  taken.listen(0, '127.0.0.1')
  await once(taken, 'listening')
  t.after(() => taken.close())
  const port = taken.address().port
  const { app, logs } = await prometheusApp(t, 'port-taken', port)
  await app.ready()
  // The endpoint listens in the background: its failure comes as a warning once it is known.
  let warning
  for (let i = 0; i < 100 && warning === undefined; i++) {
    warning = logs.lines.find((l) => l.code === 'FOK_WARN_METRICS_ENDPOINT')
    if (warning === undefined) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  assert.ok(warning, 'the taken port is warned about')
  assert.equal(warning.level, 40)
  assert.match(warning.msg, new RegExp(`could not listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`))
  assert.match(warning.msg, /OTEL_EXPORTER_PROMETHEUS_PORT/)
  assert.equal((await app.inject({ url: '/ok' })).body, 'ok')
})

test('the Prometheus endpoint answers in the text format with its version, whatever the scraper asks for, and ' +
  '404 elsewhere', async (t) => {
  const { freePort } = await import('../servers.mjs')
  const port = await freePort()
  const { app } = await prometheusApp(t, 'content-type', port)
  await app.inject({ url: '/ok' })
  for (const accept of [undefined, 'application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5']) {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: accept ? { accept } : {} })
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    assert.match(await response.text(), /^# TYPE http_server_request_duration_seconds histogram$/m)
  }
  assert.equal((await fetch(`http://127.0.0.1:${port}/metrics/extra`)).status, 404)
  assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404)
})

test('close ends while a scraper keeps polling the Prometheus endpoint on a kept-alive connection, a scrape ' +
  'in progress when it begins, and the endpoint stops answering', async (t) => {
  const { freePort } = await import('../servers.mjs')
  const port = await freePort()
  const { app } = await prometheusApp(t, 'polled', port)
  await app.ready()
  // Every scrape takes 200 ms (an asynchronous gauge of the application's), so that close begins
  // during one: that connection is busy when the endpoint's server closes.
  const slowGauge = app.otel.meterProvider.getMeter('slow').createObservableGauge('slow.gauge')
  slowGauge.addCallback(async (result) => {
    await new Promise((resolve) => setTimeout(resolve, 200))
    result.observe(1)
  })
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.after(() => agent.destroy())
  const scrape = () =>
    new Promise((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: '/metrics', agent }, (response) => {
          response.resume()
          response.on('end', () => resolve(response.statusCode))
        })
        .on('error', (error) => resolve(error.code))
    })
  assert.equal(await scrape(), 200)
  // The next scrape as soon as one is answered, on the one kept-alive connection, until refused.
  const polling = { on: true }
  const outcomes = []
  const poller = (async () => {
    while (polling.on) outcomes.push(await scrape())
  })()
  // Once a polled scrape has been answered, the next is under way (200 ms): close begins during it.
  while (outcomes.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
  const closing = app.close().then(() => 'closed')
  // Without the endpoint's own close, its server waits for that connection, which the scrapes keep busy.
  const outcome = await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 3000, 'still closing'))])
  polling.on = false
  await poller
  assert.equal(outcome, 'closed')
  assert.ok(outcomes.includes(200), 'the scrapes before close were answered')
  assert.equal(await scrape(), 'ECONNREFUSED')
})
