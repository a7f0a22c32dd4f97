// The package's Prometheus endpoint (sdk/metrics/prometheus-endpoint.ts) beside upstream's
// PrometheusExporter with its own server, on the same meter and the same scrapes: the same
// exposition, and the two differences the package's server exists for, held on upstream's side so
// that the package's server goes once upstream has them:
//   - shutdown while a scrape is in progress and the scraper keeps polling on its kept-alive
//     connection: upstream's close waits for that connection (the scrapes keep it busy), the
//     package's ends;
//   - the content type: upstream's is a bare `text/plain`, the package's carries the format's version.
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import assert from 'node:assert/strict'
import http from 'node:http'
import { test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { PrometheusEndpoint } from '../../dist/sdk/metrics/prometheus-endpoint.js'
import { freePort } from '../servers.mjs'

const implementations = {
  upstream: (port) =>
    new Promise((resolve, reject) => {
      const exporter = new PrometheusExporter({ host: '127.0.0.1', port }, (error) =>
        error ? reject(error) : resolve(exporter)
      )
    }),
  package: (port) =>
    new Promise((resolve, reject) => {
      const endpoint = new PrometheusEndpoint({ host: '127.0.0.1', port }, (error) =>
        error ? reject(error) : resolve(endpoint)
      )
    })
}

/** A provider with a counter and a gauge whose callback takes `gaugeMillis` (so does each scrape). */
async function serve (t, which, gaugeMillis = 0) {
  const port = await freePort()
  const reader = await implementations[which](port)
  const provider = new MeterProvider({ readers: [reader] })
  const meter = provider.getMeter('contract')
  meter.createCounter('orders', { unit: '{order}' }).add(3, { region: 'eu' })
  let collecting = () => {}
  meter.createObservableGauge('queue.depth').addCallback(async (result) => {
    collecting()
    if (gaugeMillis > 0) await delay(gaugeMillis)
    result.observe(7)
  })
  let shutDown = false
  t.after(() => (shutDown ? undefined : provider.shutdown()))
  return {
    port,
    /** Resolves when the next scrape has begun collecting. */
    nextCollection: () => new Promise((resolve) => (collecting = resolve)),
    shutdown: () => {
      shutDown = true
      return provider.shutdown()
    }
  }
}

/** One scrape on `agent`: the status, content type and body, or the connection error's code. */
const scrape = (port, agent) =>
  new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent }, (response) => {
        let body = ''
        response.on('data', (chunk) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode, type: response.headers['content-type'], body }))
      })
      .on('error', (error) => resolve({ error: error.code }))
  })

test('the same exposition from both; the content type has the version on the package side only', async (t) => {
  const results = {}
  for (const which of ['upstream', 'package']) {
    const { port } = await serve(t, which)
    results[which] = await scrape(port)
  }
  assert.equal(results.package.body, results.upstream.body)
  assert.match(results.package.body, /^orders_total\{region="eu"[^}]*\} 3/m)
  assert.equal(results.upstream.type, 'text/plain')
  assert.equal(results.package.type, 'text/plain; version=0.0.4; charset=utf-8')
})

test('shutdown during a scrape with a scraper polling on its kept-alive connection: upstream waits for the ' +
  "scraper, the package's endpoint ends and refuses the next scrape", async (t) => {
  const outcomes = {}
  for (const which of ['upstream', 'package']) {
    const { port, nextCollection, shutdown } = await serve(t, which, 200)
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    t.after(() => agent.destroy())
    assert.equal((await scrape(port, agent)).status, 200)
    const polling = { on: true }
    const collecting = nextCollection()
    const poller = (async () => {
      while (polling.on) await scrape(port, agent)
    })()
    // The shutdown begins while the endpoint is answering a scrape.
    await collecting
    const stopping = shutdown().then(() => 'stopped')
    outcomes[which] = await Promise.race([stopping, delay(1500, 'still stopping')])
    polling.on = false
    await poller
    // Upstream's close ends once the scraper is gone.
    agent.destroy()
    await stopping
    if (which === 'package') assert.deepEqual(await scrape(port), { error: 'ECONNREFUSED' })
  }
  assert.deepEqual(outcomes, { upstream: 'still stopping', package: 'stopped' })
})
