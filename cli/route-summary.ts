import { readFile } from 'node:fs/promises'
import type { RouteSummary } from '../sdk/traces/route-summary.js'
import { formatRouteSummary } from '../sdk/traces/route-summary-format.js'

/**
 * The doctor's view of a running service's route summary. The doctor runs in a process of its
 * own and cannot see an application's `app.otel`; the application exposes
 * `app.otel.routeSummary()` (an admin route, a file written on a signal or at close) and the
 * doctor reads it from there: an `http://` or `https://` URL is fetched, anything else is a file.
 * Returns whether the summary could be read; what it says is information, never a failed check.
 */
export async function printRouteSummary (
  source: string,
  timeoutMillis: number,
  write: (line: string) => void
): Promise<boolean> {
  write(`\nRoute summary (${source})`)
  let summary: unknown
  try {
    summary = /^https?:\/\//i.test(source)
      ? await fetchSummary(source, timeoutMillis)
      : JSON.parse(await readFile(source, 'utf8'))
  } catch (error) {
    write(`  ✗ could not read it: ${(error as Error).message}`)
    write('    Serve or save the JSON of app.otel.routeSummary() (docs/guides/where-did-the-time-go.md).')
    return false
  }
  if (!isRouteSummary(summary)) {
    write('  ✗ this is not the JSON of app.otel.routeSummary(): it has no "routes" list')
    return false
  }
  write(`  since ${summary.since}`)
  for (const line of formatRouteSummary(summary)) write(`  ${line}`)
  return true
}

async function fetchSummary (url: string, timeoutMillis: number): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMillis) })
  if (!response.ok) throw new Error(`${url} answered ${response.status}`)
  return await response.json()
}

function isRouteSummary (value: unknown): value is RouteSummary {
  if (value === null || typeof value !== 'object') return false
  const { routes, since } = value as Partial<RouteSummary>
  return (
    typeof since === 'string' &&
    Array.isArray(routes) &&
    routes.every(
      (route) =>
        route !== null &&
        typeof route === 'object' &&
        typeof route.route === 'string' &&
        typeof route.requests === 'number' &&
        typeof route.durationMillis?.p50 === 'number' &&
        typeof route.durationMillis.p95 === 'number' &&
        Array.isArray(route.slowest) &&
        typeof route.blocked?.count === 'number'
    )
  )
}
