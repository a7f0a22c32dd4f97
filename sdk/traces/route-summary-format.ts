import type { RouteSummary, RouteSummaryEntry } from './route-summary.js'

/**
 * The route summary in words, one line per route, for a terminal or a log:
 * `POST /refunds/:orderId: 62 % of 812 ms is not covered by any span; slowest hook
 * preHandler - checkEntitlements 480 ms (12 requests, p95 930 ms)`. The demo prints it, the
 * doctor prints a saved one, and an application can print its own.
 */
export function formatRouteSummary (summary: RouteSummary): string[] {
  const lines = summary.routes.map(formatRoute)
  if (lines.length === 0) lines.push('no sampled request yet')
  const loop = summary.eventLoop
  if (loop !== undefined) {
    lines.push(
      `event loop (whole process): delay p99 ${millis(loop.delayP99Millis)}, longest ${millis(loop.delayMaxMillis)}`
    )
  }
  return lines
}

function formatRoute (entry: RouteSummaryEntry): string {
  const p50 = entry.durationMillis.p50
  const parts: string[] = []
  if (entry.uncovered !== undefined) {
    parts.push(`${Math.round(entry.uncovered.medianShare * 100)} % of ${millis(p50)} is not covered by any span`)
  } else {
    parts.push(`${millis(p50)} (coverage unknown: the application's SDK is in use)`)
  }
  const slowest = entry.slowest[0]
  // "slowest hook preHandler - checkEntitlements", "slowest phase serialization", "slowest handler - getOrder".
  const kind = slowest?.kind === 'handler' ? '' : ` ${slowest?.kind ?? ''}`
  if (slowest !== undefined) parts.push(`slowest${kind} ${slowest.name} ${millis(slowest.p50Millis)}`)
  else parts.push('no hook, handler or phase over the threshold')
  if (entry.blocked.count > 0) {
    parts.push(`event loop blocked ${times(entry.blocked.count)}, up to ${millis(entry.blocked.maxMillis)}`)
  }
  const requests = `${entry.requests} ${entry.requests === 1 ? 'request' : 'requests'}`
  return `${entry.route}: ${parts.join('; ')} (${requests}, p95 ${millis(entry.durationMillis.p95)})`
}

function millis (value: number): string {
  return value >= 10 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`
}

function times (count: number): string {
  return count === 1 ? 'once' : `${count} times`
}
