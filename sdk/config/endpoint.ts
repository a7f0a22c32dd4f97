import type { Parsed } from './env-values.js'
import type { OtlpProtocol, ResolvedExporterConfig, ResolvedSdkConfig } from './options.js'

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i
/** Longer is not an endpoint (a pasted certificate, a token, a log line): refused before parsing. */
export const MAX_ENDPOINT_LENGTH = 2048
/** A DNS label (underscores allowed: Docker Compose service names have them), or an IP literal. */
const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/
/** `host:port` without a scheme: a name or IPv4 address, or a bracketed IPv6 one, and a port. */
const HOST_PORT = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+):(\d{1,5})$/i

/** `http`, `https`, another scheme, or undefined for `host:port`. */
export function endpointScheme (endpoint: string): string | undefined {
  return SCHEME.exec(endpoint)?.[1]?.toLowerCase()
}

/** An endpoint as the exporters use it: the parsed URL (TLS from its scheme) and what the user should hear. */
export interface OtlpEndpoint {
  url: URL
  /** False for gRPC's legacy `host:port`, whose TLS `insecure` decides. */
  hasScheme: boolean
}

/**
 * Whether `raw` can be an endpoint at all, whatever the protocol: an `http://` or `https://` URL
 * with a real host name, or (gRPC only) `host:port`. A value that is not (`NaN`, `-5`, a
 * megabyte of text) must never become a host name that is looked up in DNS, with the headers
 * following it. The reason never repeats the value: it may be a secret pasted in the wrong place.
 */
export function parseOtlpEndpoint (raw: string, protocol: OtlpProtocol): Parsed<OtlpEndpoint> {
  if (raw.length > MAX_ENDPOINT_LENGTH) return { ok: false, reason: `longer than ${MAX_ENDPOINT_LENGTH} characters` }
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(raw)) return { ok: false, reason: 'it contains spaces or control characters' }
  const scheme = endpointScheme(raw)
  if (scheme === undefined) {
    if (protocol !== 'grpc') {
      return { ok: false, reason: `no scheme: ${protocol} needs an http:// or https:// URL` }
    }
    // The specification's legacy gRPC form: TLS unless `insecure`. Only a real host and port.
    const match = HOST_PORT.exec(raw)
    if (match === null) return { ok: false, reason: 'neither an http:// or https:// URL nor host:port' }
    const url = parseUrl(`https://${raw}`)
    if (url === undefined || !validHost(url)) return { ok: false, reason: 'not a valid host name' }
    const port = Number(match[2])
    if (port < 1 || port > 65535) return { ok: false, reason: 'the port is not 1 to 65535' }
    return { ok: true, value: { url, hasScheme: false } }
  }
  if (scheme !== 'http' && scheme !== 'https') return { ok: false, reason: `scheme ${scheme}:// is not http or https` }
  const url = parseUrl(raw)
  if (url === undefined) return { ok: false, reason: 'not a valid URL' }
  if (url.hostname === '') return { ok: false, reason: 'no host' }
  if (!validHost(url)) return { ok: false, reason: 'not a valid host name' }
  if (url.port === '0') return { ok: false, reason: 'the port is 0' }
  return { ok: true, value: { url, hasScheme: true } }
}

function parseUrl (text: string): URL | undefined {
  try {
    return new URL(text)
  } catch {
    return undefined
  }
}

/** The URL parser takes `-5`, `NaN` and 300-character labels as host names; DNS does not. */
function validHost (url: URL): boolean {
  const host = url.hostname
  if (host.startsWith('[')) return true // the parser has checked an IPv6 literal
  if (host.length > 253) return false
  const labels = host.endsWith('.') ? host.slice(0, -1).split('.') : host.split('.')
  return labels.every((label) => LABEL.test(label))
}

/** The port an endpoint names, or the scheme's default; undefined for none. */
export function endpointPort (endpoint: OtlpEndpoint): number | undefined {
  if (endpoint.url.port !== '') return Number(endpoint.url.port)
  if (!endpoint.hasScheme) return undefined
  return endpoint.url.protocol === 'https:' ? 443 : 80
}

/**
 * The URL an OTLP/HTTP exporter of one signal posts to, from a base endpoint: the signal's path
 * (`v1/traces`) after the path the base already has (`https://host/otlp` ->
 * `https://host/otlp/v1/traces`), its query kept.
 */
export function appendSignalPath (base: URL, signalPath: string): string {
  const url = new URL(base.href)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${signalPath}`
  return url.href
}

/**
 * Drops what may be a credential so the endpoint can be logged: user and password written into
 * the URL (up to the last `@` before the path, as URL parsers read it), the values of its query
 * (`?api-key=...`, and a member without `=` whole: it may be a bare token) and its fragment.
 */
export function redactEndpoint (endpoint: string): string {
  const hash = endpoint.indexOf('#')
  const beforeHash = hash === -1 ? endpoint : endpoint.slice(0, hash)
  const query = beforeHash.indexOf('?')
  const beforeQuery = query === -1 ? beforeHash : beforeHash.slice(0, query)
  let out = beforeQuery.replace(/\/\/[^/?#]*@/, '//[REDACTED]@')
  if (query !== -1) {
    const members = beforeHash.slice(query + 1).split('&')
    out += `?${members.map(redactQueryMember).join('&')}`
  }
  return hash === -1 ? out : `${out}#[REDACTED]`
}

function redactQueryMember (member: string): string {
  if (member === '') return member
  const equals = member.indexOf('=')
  return equals === -1 ? '[REDACTED]' : `${member.slice(0, equals)}=[REDACTED]`
}

/**
 * The resolved configuration as the application is shown it (`app.otel.config`): the same
 * settings, with each exporter's endpoint redacted as for a log (the same object when there is
 * nothing to redact; otherwise a copy, which the caller freezes as the original is). The exporters are built from the
 * configuration itself; a copy is shown, since an application may well log what it is given
 * (its headers are shown redacted already).
 */
export function withEndpointsRedacted<C extends ResolvedSdkConfig> (config: C): C {
  const redact = (exporter: ResolvedExporterConfig): ResolvedExporterConfig => {
    const shown = redactEndpoint(exporter.endpoint.value)
    if (shown === exporter.endpoint.value) return exporter
    return { ...exporter, endpoint: { ...exporter.endpoint, value: shown } }
  }
  const [traces, logs, metrics] = [config.exporter, config.logs.exporter, config.metrics.exporter].map(redact)
  if (traces === config.exporter && logs === config.logs.exporter && metrics === config.metrics.exporter) return config
  return {
    ...config,
    exporter: traces,
    logs: { ...config.logs, exporter: logs },
    metrics: { ...config.metrics, exporter: metrics }
  }
}
