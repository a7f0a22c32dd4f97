// The per-route summary behind app.otel.routeSummary() (sdk/traces/route-summary.ts), its
// histograms, and the line the demo and the doctor print for each route.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DurationHistogram, ShareHistogram } from '../../dist/sdk/traces/duration-histogram.js'
import { RouteSummaries } from '../../dist/sdk/traces/route-summary.js'
import { formatRouteSummary } from '../../dist/sdk/traces/route-summary-format.js'

test('duration quantiles are within 3 % of the exact ones, from microseconds to minutes', () => {
  for (const scale of [0.01, 1, 100, 60_000]) {
    const histogram = new DurationHistogram()
    const values = Array.from({ length: 1000 }, (_, i) => scale * (1 + ((i * 7919) % 1000) / 100))
    for (const value of values) histogram.record(value)
    const sorted = [...values].sort((a, b) => a - b)
    for (const q of [0.5, 0.95]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]
      const estimate = histogram.quantile(q)
      assert.ok(Math.abs(estimate - exact) / exact < 0.03, `q${q} at scale ${scale}: ${estimate} against ${exact}`)
    }
    assert.equal(histogram.maxMillis, Math.max(...values))
  }
  const empty = new DurationHistogram()
  assert.equal(empty.quantile(0.5), 0)
  empty.record(Number.NaN)
  empty.record(-1)
  assert.equal(empty.count, 0)
})

test('shares: the median of 0 to 1 values, to a thousandth', () => {
  const shares = new ShareHistogram()
  for (const share of [0.1, 0.62, 0.63, 0.9, 1]) shares.record(share)
  assert.equal(shares.quantile(0.5), 0.63)
})

test('a summary per route, the most time first, with the slowest steps by their total', () => {
  const summaries = new RouteSummaries()
  const refunds = summaries.recordFor('POST /refunds/:orderId')
  for (let i = 0; i < 10; i++) {
    refunds.recordRequest(800 + i * 4, 0.62)
    refunds.recordStep('preHandler - checkEntitlements', 'hook', 480)
    if (i % 2 === 0) refunds.recordStep('serialization', 'phase', 30)
  }
  refunds.recordBlocked(70)
  refunds.recordBlocked(12)
  const health = summaries.recordFor('GET /health')
  health.recordRequest(1, undefined)
  summaries.recordFor('GET /never')
  assert.equal(summaries.recordFor('POST /refunds/:orderId'), refunds)

  const summary = summaries.summary({ delayP99Millis: 71.2, delayMaxMillis: 90 })
  assert.deepEqual(
    summary.routes.map((r) => r.route),
    ['POST /refunds/:orderId', 'GET /health']
  )
  const [entry, healthEntry] = summary.routes
  assert.equal(entry.requests, 10)
  assert.ok(Math.abs(entry.durationMillis.p50 - 816) < 16)
  assert.equal(entry.uncovered.medianShare, 0.62)
  assert.deepEqual(entry.blocked, { count: 2, maxMillis: 70 })
  assert.deepEqual(
    entry.slowest.map((s) => [s.name, s.kind, s.count]),
    [
      ['preHandler - checkEntitlements', 'hook', 10],
      ['serialization', 'phase', 5]
    ]
  )
  assert.equal(healthEntry.uncovered, undefined, "an application's SDK: coverage unknown")

  assert.deepEqual(formatRouteSummary(summary), [
    `POST /refunds/:orderId: 62 % of ${Math.round(entry.durationMillis.p50)} ms is not covered by any span; ` +
      'slowest hook preHandler - checkEntitlements 480 ms; event loop blocked 2 times, up to 70 ms ' +
      `(10 requests, p95 ${Math.round(entry.durationMillis.p95)} ms)`,
    "GET /health: 1.0 ms (coverage unknown: the application's SDK is in use); no hook, handler or phase over the " +
      'threshold (1 request, p95 1.0 ms)',
    'event loop (whole process): delay p99 71 ms, longest 90 ms'
  ])

  summaries.reset()
  assert.deepEqual(summaries.summary().routes, [])
  // A record handed out before the reset keeps working.
  refunds.recordRequest(5, 1)
  assert.equal(summaries.summary().routes[0].requests, 1)
})

test('a handler step reads as "slowest handler - name"; an empty summary says so', () => {
  const summaries = new RouteSummaries()
  const route = summaries.recordFor('GET /totals')
  route.recordRequest(71, 1)
  route.recordStep('handler - computeTotals', 'handler', 70)
  assert.match(formatRouteSummary(summaries.summary())[0], /; slowest handler - computeTotals 70 ms \(/)
  assert.deepEqual(formatRouteSummary(new RouteSummaries().summary()), ['no sampled request yet'])
})
