import type { Parsed } from './env-values.js'

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i

/** `http`, `https`, another scheme, or undefined for `host:port`. */
export function endpointScheme (endpoint: string): string | undefined {
  return SCHEME.exec(endpoint)?.[1]?.toLowerCase()
}

/** Accepts `http://host[:port]`, `https://host[:port]` and `host[:port]` (TLS unless insecure). */
export function parseEndpoint (endpoint: string): Parsed<URL> {
  const scheme = endpointScheme(endpoint)
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    return { ok: false, reason: `scheme ${scheme}:// is not http or https` }
  }
  let url: URL
  try {
    url = new URL(scheme === undefined ? `https://${endpoint}` : endpoint)
  } catch {
    return { ok: false, reason: 'not a valid URL' }
  }
  if (url.hostname === '') return { ok: false, reason: 'no host' }
  if (url.pathname !== '/' && url.pathname !== '') return { ok: false, reason: 'gRPC endpoints take no path' }
  return { ok: true, value: url }
}

/** Drops credentials written into the URL so the endpoint can be logged. */
export function redactEndpoint (endpoint: string): string {
  return endpoint.replace(/\/\/[^/@]*@/, '//[REDACTED]@')
}
