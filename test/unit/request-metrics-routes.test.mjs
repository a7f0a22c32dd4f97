// One set of series per route template for the table: two askers for the same route (two
// not-found handlers, the requests Fastify refuses while closing) record into the same series,
// never into two with the same attributes (a reader would export a duplicate).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RequestMetrics } from '../../dist/sdk/metrics/request-metrics.js'

test('the same route asked for twice records into one series per attribute set', () => {
  const table = new RequestMetrics()
  for (const route of [undefined, '/orders/:id']) {
    const first = table.forRoute(route)
    const second = table.forRoute(route)
    first.record('GET', 'http', 503, '503', '1.1', 0)
    second.record('GET', 'http', 503, '503', '1.1', 0.002)
  }
  assert.equal(table.durations.length, 2)
  for (const series of table.durations) assert.equal(series.count, 2)
  assert.deepEqual(
    table.durations.map((s) => s.attributes['http.route']),
    [undefined, '/orders/:id']
  )
})
