// The Prometheus endpoint names metrics with their units (the specification's rules, the
// OpenTelemetry Collector's exporter): upstream's JavaScript exporter leaves the unit out.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { unitSuffix, withUnitSuffixes } from '../../dist/sdk/metrics/prometheus-names.js'

test('unit suffixes: words for UCUM units, nothing for annotations, ratio for a gauge in 1, per for rates', () => {
  const cases = [
    ['s', false, 'seconds'],
    ['ms', false, 'milliseconds'],
    ['By', false, 'bytes'],
    ['{request}', false, ''],
    ['{span}', false, ''],
    ['1', true, 'ratio'],
    ['1', false, ''],
    ['By/s', false, 'bytes_per_second'],
    ['1/s', false, 'per_second'],
    ['{packet}/s', false, 'per_second'],
    ['Cel', true, 'celsius'],
    ['TiBy', false, 'tebibytes'],
    ['kBy', false, 'kilobytes'],
    ['', false, '']
  ]
  for (const [unit, gauge, expected] of cases) assert.equal(unitSuffix(unit, gauge), expected, `${unit} ${gauge}`)
})

test('a collection renamed: the suffix once, never twice, the other fields kept; the unit as a word, ' +
  'an annotation in braces dropped', () => {
  const metric = (name, unit, dataPointType = 0) => ({
    descriptor: { name, description: 'd', unit, valueType: 1 },
    aggregationTemporality: 1,
    dataPointType,
    dataPoints: []
  })
  const result = withUnitSuffixes({
    errors: [],
    resourceMetrics: {
      resource: 'the resource',
      scopeMetrics: [
        {
          scope: { name: 's' },
          metrics: [
            metric('http.server.request.duration', 's'),
            metric('v8js.memory.heap.used', 'By', 2),
            metric('already_seconds', 's'),
            metric('http.server.active_requests', '{request}', 3),
            metric('payments.refunds', '{refund}', 3),
            metric('payments.errors', '1', 3)
          ]
        }
      ]
    }
  })
  assert.equal(result.resourceMetrics.resource, 'the resource')
  assert.deepEqual(
    result.resourceMetrics.scopeMetrics[0].metrics.map((m) => [m.descriptor.name, m.descriptor.unit]),
    [
      ['http.server.request.duration_seconds', 'seconds'],
      ['v8js.memory.heap.used_bytes', 'bytes'],
      ['already_seconds', 'seconds'],
      ['http.server.active_requests', ''],
      ['payments.refunds', ''],
      ['payments.errors', '']
    ]
  )
})
