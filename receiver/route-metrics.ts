import type { ReceivedDataPoint, ReceivedMetric } from './decode-metrics.js'

/**
 * The demo's table of requests: for each route (method and status) of the last export of
 * http.server.request.duration (and of http.client.request.duration, by server), how many there
 * were and the percentiles of their latency, as Prometheus's histogram_quantile estimates them from
 * the buckets (linear within a bucket, never beyond the smallest and largest seen), with the largest.
 */
export function renderRouteMetrics (metrics: readonly ReceivedMetric[]): string {
  const lines: string[] = []
  const server = pointsOf(metrics, 'http.server.request.duration')
  const client = pointsOf(metrics, 'http.client.request.duration')
  if (server === undefined && client === undefined) return ''
  const columns = ['status', 'count', 'p50', 'p90', 'p99', 'max']
  // The status column holds a code, or an error type (TimeoutError) when no answer came.
  const widths = [12, 6, 9, 9, 9, 9]
  const header = `  ${'route'.padEnd(34)} ${columns.map((c, i) => c.padStart(widths[i]!)).join(' ')}`
  const row = (label: string, status: unknown, p: ReceivedDataPoint): string =>
    `  ${label.padEnd(34)} ${String(status ?? '-').padStart(12)} ${String(p.count ?? 0).padStart(6)} ` +
    `${ms(quantile(0.5, p))} ${ms(quantile(0.9, p))} ${ms(quantile(0.99, p))} ${ms(p.max)}`
  if (server !== undefined) {
    lines.push('requests by route (http.server.request.duration, from the metrics export):', header)
    for (const p of sorted(server)) {
      const method = String(p.attributes['http.request.method'])
      const label = `${method} ${String(p.attributes['http.route'] ?? '(no route)')}`
      lines.push(row(label, p.attributes['http.response.status_code'], p))
    }
  }
  if (client !== undefined) {
    lines.push('', 'outbound calls (http.client.request.duration):', header.replace('route', 'server'))
    for (const p of sorted(client)) {
      const server = `${String(p.attributes['server.address'])}:${String(p.attributes['server.port'])}`
      const label = `${String(p.attributes['http.request.method'])} ${server}`
      lines.push(row(label, p.attributes['http.response.status_code'] ?? p.attributes['error.type'], p))
    }
  }
  return `${lines.join('\n')}\n`
}

/**
 * The points of every metric named `name` in one export: one per instrumentation scope that
 * records it (instrumentation-http's and instrumentation-undici's http.client.request.duration,
 * say), those with the same attributes and buckets added together, so that every call is counted
 * once whichever library made it. Undefined when no metric has the name.
 */
function pointsOf (metrics: readonly ReceivedMetric[], name: string): ReceivedDataPoint[] | undefined {
  // The last export of each scope: with cumulative temporality it holds the totals, and the
  // demo hands over every export it received.
  const lastByScope = new Map<string, ReceivedMetric>()
  for (const metric of metrics) {
    if (metric.name === name) lastByScope.set(`${metric.scope.name}@${metric.scope.version}`, metric)
  }
  if (lastByScope.size === 0) return undefined
  const merged = new Map<string, ReceivedDataPoint>()
  for (const point of [...lastByScope.values()].flatMap((metric) => metric.dataPoints)) {
    const key = JSON.stringify([Object.entries(point.attributes).sort(), point.explicitBounds ?? []])
    const seen = merged.get(key)
    merged.set(key, seen === undefined ? point : added(seen, point))
  }
  return [...merged.values()]
}

/**
 * Two histogram points of the same attributes and buckets as one. The smallest and largest are
 * kept only when both points have them: one point's alone would clamp the other's estimates.
 */
function added (a: ReceivedDataPoint, b: ReceivedDataPoint): ReceivedDataPoint {
  const extreme = (pick: (x: number, y: number) => number, x: number | undefined, y: number | undefined) =>
    x === undefined || y === undefined ? undefined : pick(x, y)
  const min = extreme(Math.min, a.min, b.min)
  const max = extreme(Math.max, a.max, b.max)
  const { min: _min, max: _max, ...rest } = a
  return {
    ...rest,
    count: (a.count ?? 0) + (b.count ?? 0),
    sum: (a.sum ?? 0) + (b.sum ?? 0),
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    bucketCounts: (a.bucketCounts ?? []).map((count, i) => count + (b.bucketCounts?.[i] ?? 0))
  }
}

function sorted (points: readonly ReceivedDataPoint[]): ReceivedDataPoint[] {
  const key = (p: ReceivedDataPoint): string =>
    [
      p.attributes['http.route'] ?? p.attributes['server.address'],
      p.attributes['http.request.method'],
      p.attributes['http.response.status_code']
    ]
      .map(String)
      .join(' ')
  return [...points].sort((a, b) => key(a).localeCompare(key(b)))
}

/**
 * histogram_quantile's estimate (linear within the bucket the rank falls in), kept within the
 * smallest and largest values seen when the point has them: a bucket's upper bound is no value,
 * and two requests of 238 and 341 ms read as a p99 of 495 ms without it.
 */
export function quantile (q: number, point: ReceivedDataPoint): number | undefined {
  const estimate = bucketQuantile(q, point)
  if (estimate === undefined) return undefined
  const { min, max } = point
  if (typeof max === 'number' && estimate > max) return max
  if (typeof min === 'number' && estimate < min) return min
  return estimate
}

function bucketQuantile (q: number, point: ReceivedDataPoint): number | undefined {
  const counts = point.bucketCounts ?? []
  const bounds = point.explicitBounds ?? []
  const total = point.count ?? 0
  if (total === 0) return undefined
  const rank = q * total
  let seen = 0
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!
    if (seen + count >= rank && count > 0) {
      const lower = i === 0 ? Math.min(0, point.min ?? 0) : bounds[i - 1]!
      const upper = i < bounds.length ? bounds[i]! : (point.max ?? lower)
      return lower + ((upper - lower) * (rank - seen)) / count
    }
    seen += count
  }
  return point.max
}

function ms (seconds: number | undefined): string {
  return (seconds === undefined ? '-' : `${(seconds * 1000).toFixed(1)} ms`).padStart(9)
}
