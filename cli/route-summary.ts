import { readFile } from 'node:fs/promises'
import { redactEndpoint } from '../sdk/config/endpoint.js'
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
  write: (line: string) => void,
  headers: Record<string, string> = {}
): Promise<boolean> {
  const remote = /^https?:\/\//i.test(source)
  // A URL may carry a credential of its own (user:password@, ?token=): shown redacted.
  const shown = remote ? redactEndpoint(source) : source
  write(`\nRoute summary (${shown})`)
  let summary: unknown
  try {
    summary = remote
      ? await fetchSummary(source, shown, timeoutMillis, headers)
      : JSON.parse(await readFile(source, 'utf8'))
  } catch (error) {
    write(`  ✗ could not read it: ${(error as Error).message}`)
    const status = (error as { status?: number }).status
    if (status === 401 || status === 403) {
      write('    Behind authentication: pass its credential with --summary-header "authorization: ...".')
    }
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

async function fetchSummary (
  url: string,
  shown: string,
  timeoutMillis: number,
  headers: Record<string, string>
): Promise<unknown> {
  const parsed = URL.canParse(url) ? new URL(url) : undefined
  if (parsed !== undefined && (parsed.username !== '' || parsed.password !== '')) {
    // fetch refuses such a URL: the credential goes in a header instead.
    throw new Error(
      `${shown} holds a user name or password, which is not sent from a URL: pass it as ` +
        "--summary-header 'authorization: Basic <base64 of user:password>'"
    )
  }
  let response: Response
  try {
    // A redirect is not followed: the headers (a credential) would go to wherever it points.
    response = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMillis) })
  } catch (error) {
    // fetch's own message may repeat the URL; the cause's code says what happened.
    const cause = (error as { cause?: { code?: string } }).cause
    throw new Error(`${shown} cannot be reached (${cause?.code ?? (error as Error).name})`)
  }
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location')
    const to = location === null ? '' : ` to ${redactEndpoint(location)}`
    throw new Error(
      `${shown} answered ${response.status}, a redirect${to}, not followed (the headers would go with it): ` +
        'give the final URL'
    )
  }
  if (!response.ok) {
    throw Object.assign(new Error(`${shown} answered ${response.status}`), { status: response.status })
  }
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
