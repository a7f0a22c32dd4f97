// Metrics over OTLP to a real receiver, by default (the specification's OTEL_METRICS_EXPORTER=otlp),
// over every protocol: the request metrics, the SDK's health and the runtime's arrive with the
// service's resource; the exporter's headers reach the collector and nothing else; a collector that
// cannot be reached is said once, and close does not wait for it; close flushes the last collection;
// the books count the points of an export not yet answered as in flight.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { logCapture, withEnv } from '../helpers.mjs'
import { freePort } from '../servers.mjs'

const SECRET = 'Bearer metrics-9f83-SECRET'

/** The app, closed after the test and before `receiver` stops (whose keep-alive sockets it holds). */
async function app (t, options, { logger, receiver } = {}) {
  const logs = logCapture()
  const fastify = Fastify({ logger: { level: logger ?? 'info', stream: logs.stream } })
  t.after(async () => {
    await fastify.close()
    await receiver?.stop()
  })
  await fastify.register(otelPlugin, { serviceName: 'metered', handleSignals: false, ...options })
  fastify.get('/orders/:id', async () => ({ ok: true }))
  return { app: fastify, logs }
}

const requestCount = (metrics, route) =>
  metrics
    .filter((m) => m.name === 'http.server.request.duration')
    .flatMap((m) => m.dataPoints)
    .filter((p) => p.attributes['http.route'] === route)
    .reduce((n, p) => Math.max(n, p.count), 0)

for (const protocol of ['grpc', 'http/protobuf', 'http/json']) {
  test(`${protocol}: the request metrics, the SDK's health and the runtime's reach the collector`, async (t) => {
    const receiver = await OtlpReceiver.start({ requiredHeaders: { authorization: SECRET } })
    withEnv(t, { OTEL_EXPORTER_OTLP_METRICS_HEADERS: `authorization=${encodeURIComponent(SECRET)}` })
    const endpoint = protocol === 'grpc' ? receiver.endpoint : receiver.httpEndpoint
    const { app: service, logs } = await app(t, { exporter: { protocol, endpoint } }, { logger: 'trace', receiver })
    for (let i = 0; i < 3; i++) await service.inject({ url: `/orders/${i}` })
    await service.otel.forceFlush()
    const metrics = await receiver.waitForMetrics((m) => requestCount(m, '/orders/:id') === 3)
    const names = new Set(metrics.map((m) => m.name))
    for (const name of [
      'http.server.active_requests',
      'otel.sdk.span.started',
      'otel.sdk.processor.span.processed',
      'otel.sdk.exporter.span.exported',
      'nodejs.eventloop.utilization'
    ]) {
      assert.ok(names.has(name), `${name} in ${[...names].join(', ')}`)
    }
    const duration = metrics.find((m) => m.name === 'http.server.request.duration')
    assert.equal(duration.resource['service.name'], 'metered')
    assert.equal(duration.scope.name, 'fastify-otel-kit')
    assert.equal(duration.temporality, 2, 'cumulative by default')
    assert.ok(
      receiver.exports
        .filter((e) => e.signal === 'metrics')
        .every((e) => e.transport === (protocol === 'grpc' ? 'grpc' : 'http'))
    )
    assert.ok(service.otel.stats().metrics.exported > 0)
    // The header went where it was sent, and nowhere else (Fastify's logger at trace).
    assert.ok(!JSON.stringify(logs.lines).includes('SECRET'))
  })
}

test('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta: counters and ' +
  'histograms delta, up-down counters cumulative', async (t) => {
  const receiver = await OtlpReceiver.start()
  withEnv(t, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta' })
  const { app: service } = await app(
    t,
    { exporter: { protocol: 'http/protobuf', endpoint: receiver.httpEndpoint } },
    { receiver }
  )
  await service.inject({ url: '/orders/1' })
  await service.otel.forceFlush()
  await service.inject({ url: '/orders/2' })
  await service.otel.forceFlush()
  const metrics = await receiver.waitForMetrics(
    (m) => m.filter((x) => x.name === 'http.server.request.duration').length === 2
  )
  const durations = metrics.filter((m) => m.name === 'http.server.request.duration')
  assert.deepEqual(
    durations.map((m) => [m.temporality, m.dataPoints[0].count]),
    [
      [1, 1],
      [1, 1]
    ]
  )
  assert.equal(metrics.find((m) => m.name === 'http.server.active_requests').temporality, 2)
})

test('no collector at all: said once, close does not wait out retries, the books count the failures', async (t) => {
  const port = await freePort()
  withEnv(t, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${port}/v1/metrics` })
  const { app: service, logs } = await app(t, {
    // The spans' export is a custom one here: its retries are not what this test measures.
    exporter: { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} },
    metrics: { exporter: 'otlp' },
    shutdownTimeoutMillis: 5000
  })
  await service.inject({ url: '/orders/1' })
  await service.otel.forceFlush()
  await service.otel.forceFlush()
  const failures = logs.lines.filter((l) => l.code === 'FOK_WARN_METRICS_EXPORT_FAILED')
  assert.equal(failures.length, 1, JSON.stringify(failures))
  assert.match(failures[0].msg, /cannot be reached .*ECONNREFUSED/)
  const started = performance.now()
  await service.close()
  // One connection attempt, not five with backoff: well under a second.
  assert.ok(performance.now() - started < 1000, `close took ${performance.now() - started} ms`)
  const { exported, failed, inFlight, failedExports } = service.otel.stats().metrics
  assert.equal(exported, 0)
  assert.ok(failedExports >= 3)
  // Counted in data points: at least the request's duration point in each failed export; none left in flight.
  assert.ok(failed >= failedExports, `failed ${failed}, failedExports ${failedExports}`)
  assert.equal(inFlight, 0)
})

test('a gRPC collector that refuses the handshake (mutual TLS, no client certificate): said once, though ' +
  "grpc-js puts the time in each error's text", async (t) => {
  const tls = (name) => readFileSync(fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url)))
  const receiver = await OtlpReceiver.start({
    tls: { cert: tls('server.pem'), key: tls('server.key'), clientCa: tls('ca.pem') }
  })
  t.after(() => receiver.stop())
  withEnv(t, {
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: fileURLToPath(new URL('../fixtures/tls/ca.pem', import.meta.url))
  })
  const { app: service, logs } = await app(t, {
    exporter: { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} },
    metrics: { exporter: 'otlp', exportTimeoutMillis: 1000 },
    shutdownTimeoutMillis: 5000
  })
  await service.inject({ url: '/orders/1' })
  for (let i = 0; i < 3; i++) {
    await service.otel.forceFlush().catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const failures = logs.lines.filter((l) => l.code === 'FOK_WARN_METRICS_EXPORT_FAILED')
  assert.equal(failures.length, 1, JSON.stringify(failures.map((f) => f.msg)))
  assert.ok(service.otel.stats().metrics.failedExports >= 2)
})

test('requests Fastify answers 503 while it closes are counted (status 503, no route) in the last ' +
  'export', async (t) => {
  const { receiver, service, choreography } = await closingApp(t)
  service.get('/fast', async () => 'fast')
  await service.listen({ port: 0, host: '127.0.0.1' })
  const received = await secondRequestWhileClosing(service, '/fast', choreography)
  assert.match(received, /HTTP\/1\.1 200[^]*HTTP\/1\.1 503/)
  const points = receiver.metrics
    .filter((m) => m.name === 'http.server.request.duration')
    .flatMap((m) => m.dataPoints)
  const refused = points.filter((p) => p.attributes['http.response.status_code'] === 503)
  assert.equal(refused.length, 1, JSON.stringify(points.map((p) => p.attributes)))
  assert.equal(refused[0].count, 1)
  assert.equal(refused[0].attributes['error.type'], '503')
  assert.equal(refused[0].attributes['http.route'], undefined)
  assert.equal(requestCount(receiver.metrics, '/slow'), 1)
})

/**
 * An app exporting its metrics to a real receiver at close only, with `GET /slow` held in its
 * handler until the test releases it (closeChoreography).
 */
async function closingApp (t, fastifyOptions = {}) {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const service = Fastify(fastifyOptions)
  await service.register(otelPlugin, {
    serviceName: 'closing',
    handleSignals: false,
    exporter: { protocol: 'grpc', endpoint: receiver.endpoint },
    metrics: { exportIntervalMillis: 600_000 }
  })
  const choreography = closeChoreography(service)
  service.get('/slow', async () => {
    choreography.arrived()
    await choreography.held
    return 'done'
  })
  return { receiver, service, choreography }
}

/** Promises a test drives the close with: a request held in its handler, and close having begun. */
function closeChoreography (service) {
  const choreography = {}
  choreography.held = new Promise((resolve) => {
    choreography.release = resolve
  })
  choreography.slowArrived = new Promise((resolve) => {
    choreography.arrived = resolve
  })
  choreography.closing = new Promise((resolve) => {
    service.addHook('preClose', (done) => {
      resolve()
      done()
    })
  })
  return choreography
}

/**
 * GET /slow on a connection, close the app while it is held, then GET `path` on the same (busy)
 * connection once close has begun; returns what the connection received.
 */
async function secondRequestWhileClosing (service, path, { release, slowArrived, closing }) {
  const socket = net.connect(service.server.address().port, '127.0.0.1')
  let received = ''
  socket.on('data', (chunk) => {
    received += chunk
  })
  socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
  await slowArrived
  const closed = service.close()
  await closing
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)
  await new Promise((resolve) => setTimeout(resolve, 50))
  release()
  await closed
  socket.destroy()
  return received
}

test('a route that answers 503 itself while the app closes is counted once, with its route', async (t) => {
  // return503OnClosing off: requests that arrive while the app closes still reach their routes.
  const { receiver, service, choreography } = await closingApp(t, { return503OnClosing: false })
  // Answered synchronously, on the request's arrival: what the watch for Fastify's own 503s sees.
  service.get('/busy', (request, reply) => {
    reply.code(503).send('busy')
  })
  await service.listen({ port: 0, host: '127.0.0.1' })
  const received = await secondRequestWhileClosing(service, '/busy', choreography)
  assert.match(received, /HTTP\/1\.1 200[^]*HTTP\/1\.1 503/)
  const points = receiver.metrics
    .filter((m) => m.name === 'http.server.request.duration')
    .flatMap((m) => m.dataPoints)
    .filter((p) => p.attributes['http.response.status_code'] === 503)
  assert.deepEqual(points.map((p) => [p.attributes['http.route'], p.count]), [['/busy', 1]])
})

test('close exports the last collection: requests made just before close are not lost', async (t) => {
  const receiver = await OtlpReceiver.start()
  const { app: service } = await app(
    t,
    {
      exporter: { protocol: 'grpc', endpoint: receiver.endpoint },
      metrics: { exportIntervalMillis: 600_000 }
    },
    { receiver }
  )
  for (let i = 0; i < 4; i++) await service.inject({ url: '/orders/1' })
  await service.close()
  assert.equal(requestCount(receiver.metrics, '/orders/:id'), 4)
  // The runtime's metrics are in that last collection too: a process that ends before its first
  // periodic export still sends them.
  const names = new Set(receiver.metrics.map((m) => m.name))
  for (const name of ['nodejs.eventloop.utilization', 'v8js.memory.heap.used']) {
    assert.ok(names.has(name), `${name} in ${[...names].join(', ')}`)
  }
})

test('stats().metrics.inFlight counts the data points of an export the collector has not answered yet', async (t) => {
  // A collector that holds the first export until the test lets it answer, and answers the rest
  // (what close flushes) at once, with an empty ExportMetricsServiceResponse.
  const answer = (response) => {
    response.writeHead(200, { 'content-type': 'application/x-protobuf' })
    response.end()
  }
  const held = []
  let holding = true
  const collector = http.createServer((request, response) => {
    request.resume()
    request.on('end', () => (holding ? held.push(response) : answer(response)))
  })
  await new Promise((resolve) => collector.listen(0, '127.0.0.1', resolve))
  withEnv(t, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${collector.address().port}/v1/metrics` })
  const { app: service } = await app(t, {
    exporter: { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} },
    metrics: { exporter: 'otlp' }
  })
  // After the app's close (hooks run in the order given), whose last collection it answers.
  t.after(() => {
    collector.closeAllConnections()
    collector.close()
  })
  await service.inject({ url: '/orders/1' })
  const flushed = service.otel.forceFlush()
  const deadline = Date.now() + 5000
  while (held.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(held.length, 1, 'the export reached the collector')
  const during = service.otel.stats().metrics
  assert.ok(during.inFlight > 0, `inFlight ${during.inFlight} while the export is held`)
  assert.equal(during.exported, 0)
  holding = false
  answer(held.shift())
  await flushed
  const after = service.otel.stats().metrics
  assert.equal(after.inFlight, 0)
  assert.equal(after.exported, during.inFlight, 'the points in flight are the points exported')
})
