// The receiver's latency table (npm start, `fastify-otel-kit receive`): percentiles estimated from
// a histogram's buckets never read beyond the values the point says it saw, and a metric that two
// instrumentations record counts every call once.
import assert from 'node:assert/strict'
import test from 'node:test'
import { quantile, renderRouteMetrics } from '../../dist/receiver/route-metrics.js'

/** http.server.request.duration's default buckets (seconds), as the plugin exports them. */
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

/** A data point of `values` (seconds), with the buckets, count, min and max OTLP carries. */
function point (values, { withExtremes = true } = {}) {
  const bucketCounts = new Array(BOUNDS.length + 1).fill(0)
  for (const value of values) {
    const i = BOUNDS.findIndex((bound) => value <= bound)
    bucketCounts[i === -1 ? BOUNDS.length : i]++
  }
  return {
    attributes: {},
    count: values.length,
    bucketCounts,
    explicitBounds: BOUNDS,
    ...(withExtremes ? { min: Math.min(...values), max: Math.max(...values) } : {})
  }
}

test('two requests of 238 and 341 ms: no percentile above 341 ms or below 238 ms', () => {
  const p = point([0.238, 0.341])
  for (const q of [0.01, 0.5, 0.9, 0.99]) {
    const estimate = quantile(q, p)
    assert.ok(estimate >= 0.238 && estimate <= 0.341, `q${q}: ${estimate}`)
  }
  // The buckets alone say 0.25 + 0.25 x 0.98 = 495 ms and 0.1 + 0.15 x 0.02 = 103 ms.
  assert.equal(quantile(0.99, p), 0.341)
  assert.equal(quantile(0.01, p), 0.238)
})

test('inside the range the estimate is histogram_quantile\'s: linear within the bucket', () => {
  const values = Array.from({ length: 100 }, (_, i) => 0.001 + i * 0.002) // 1 ms to 199 ms
  const p = point(values)
  // The median's rank (50) falls in the 75-100 ms bucket, which holds 12 of the values after 38.
  const below = values.filter((v) => v <= 0.075).length
  const inBucket = values.filter((v) => v > 0.075 && v <= 0.1).length
  assert.equal(quantile(0.5, p), 0.075 + (0.025 * (50 - below)) / inBucket)
})

test('a point without min and max keeps the bucket estimate; an empty one has none', () => {
  const p = point([0.238, 0.341], { withExtremes: false })
  // 238 ms in the 100-250 ms bucket, 341 ms in the next: rank 1.98 is 0.98 into the second.
  assert.ok(Math.abs(quantile(0.99, p) - (0.25 + 0.25 * 0.98)) < 1e-12)
  assert.equal(quantile(0.5, { attributes: {}, count: 0, bucketCounts: [], explicitBounds: [] }), undefined)
})

test('http.client.request.duration from two instrumentations (http and undici): one row with every call', () => {
  const attributes = { 'http.request.method': 'GET', 'server.address': '127.0.0.1', 'server.port': 15001 }
  const calls = (values, scope) => ({
    name: 'http.client.request.duration',
    scope: { name: scope, version: '1' },
    dataPoints: [{ ...point(values), attributes: { ...attributes, 'http.response.status_code': 200 } }]
  })
  const got = Array.from({ length: 21 }, (_, i) => 0.002 + i * 0.001)
  const fetched = Array.from({ length: 42 }, (_, i) => 0.001 + i * 0.0005)
  const table = renderRouteMetrics([
    calls(got, '@opentelemetry/instrumentation-http'),
    calls(fetched, '@opentelemetry/instrumentation-undici')
  ])
  const rows = table.split('\n').filter((line) => line.includes('127.0.0.1:15001'))
  assert.equal(rows.length, 1, table)
  assert.match(rows[0], /GET 127\.0\.0\.1:15001 +200 +63 /)
  // The largest of both: got's 22 ms.
  assert.match(rows[0], /22\.0 ms$/)
})

test('several cumulative exports of one scope (the demo hands over all it received): the last one counts', () => {
  const attributes = {
    'http.request.method': 'POST',
    'http.route': '/refunds/:orderId',
    'http.response.status_code': 200
  }
  const exported = (values) => ({
    name: 'http.server.request.duration',
    scope: { name: 'fastify-otel-kit', version: '0.2.0' },
    dataPoints: [{ ...point(values), attributes }]
  })
  // Cumulative: the second export holds the first one's request and a new one.
  const table = renderRouteMetrics([exported([0.2]), exported([0.2, 0.3])])
  const [row] = table.split('\n').filter((line) => line.includes('/refunds/:orderId'))
  assert.match(row, /POST \/refunds\/:orderId +200 +2 /)
})

test('merging a point without min and max into one with them: the estimate is not clamped to the one', () => {
  const attributes = { 'http.request.method': 'GET', 'server.address': 'a', 'server.port': 1 }
  const withExtremes = { ...point([0.01]), attributes }
  const without = { ...point([0.9], { withExtremes: false }), attributes }
  const table = renderRouteMetrics([
    { name: 'http.client.request.duration', scope: { name: 'x', version: '1' }, dataPoints: [withExtremes] },
    { name: 'http.client.request.duration', scope: { name: 'y', version: '1' }, dataPoints: [without] }
  ])
  const [row] = table.split('\n').filter((line) => line.includes('GET a:1'))
  // p99 lies in the 750 ms - 1 s bucket, not at the first point's 10 ms; the largest is unknown.
  assert.match(row, /GET a:1 +- +2 +\S+ ms +\S+ ms +(7[5-9]\d|[89]\d\d)\.\d ms +- *$/)
})
