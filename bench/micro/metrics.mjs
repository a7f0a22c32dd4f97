// What recording a request's HTTP server metrics costs: the package's route table (one duration
// sample, the active-requests count up and down) beside the same measurements through SDK 3's
// synchronous instruments (Histogram.record, UpDownCounter.add twice), each attribute set built once.
import { ValueType } from '@opentelemetry/api'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
// Internal: the package's table, as the plugin records into it.
import { DURATION_BOUNDARIES, RequestMetrics } from '../../dist/sdk/metrics/request-metrics.js'

class IdleReader extends MetricReader {
  async onForceFlush () {}
  async onShutdown () {}
}

export function metricsCases () {
  const table = new RequestMetrics()
  const routes = ['/orders/:id', '/orders', '/health', '/users/:id/cart'].map((route) => table.forRoute(route))
  const provider = new MeterProvider({ readers: [new IdleReader()] })
  const meter = provider.getMeter('bench')
  const histogram = meter.createHistogram('http.server.request.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BOUNDARIES] }
  })
  const upDown = meter.createUpDownCounter('http.server.active_requests', { valueType: ValueType.INT })
  const sets = routes.map((_, i) =>
    Object.freeze({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': ['/orders/:id', '/orders', '/health', '/users/:id/cart'][i],
      'http.response.status_code': 200,
      'network.protocol.version': '1.1'
    })
  )
  const activeSet = Object.freeze({ 'http.request.method': 'GET', 'url.scheme': 'http' })
  let n = 0
  return [
    [
      "request metrics: the package's route table (duration + active up/down)",
      () => {
        const active = table.activeFor('GET', 'http')
        active.add(1)
        routes[n++ & 3].record('GET', 'http', 200, undefined, '1.1', 0.0042)
        active.add(-1)
      }
    ],
    [
      'request metrics: SDK 3 Histogram.record + UpDownCounter.add x2 (reference)',
      () => {
        upDown.add(1, activeSet)
        histogram.record(0.0042, sets[n++ & 3])
        upDown.add(-1, activeSet)
      }
    ]
  ]
}
