import type { Attributes } from '@opentelemetry/api'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { redactQuery } from '../sdk/common/query-redaction.js'

/** Methods the HTTP semantic conventions know; anything else is reported as `_OTHER`. */
export const DEFAULT_KNOWN_METHODS: readonly string[] = Object.freeze([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
  'QUERY'
])

/**
 * The methods known now: the conventions' list, or OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS, which
 * replaces it whole (a WebDAV server's PROPFIND, say). One per process, as that variable is, and as
 * instrumentation-http reads it: set at each registration (knownHttpMethods in app.otel.config).
 */
let KNOWN_METHODS: ReadonlySet<string> = new Set(DEFAULT_KNOWN_METHODS)

export function useKnownMethods (methods: readonly string[]): void {
  KNOWN_METHODS = new Set(methods)
}

/** `http.request.method` as the semantic conventions want it: `_OTHER` for a method they do not know. */
export function knownMethod (method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER'
}

/**
 * `url.scheme` for the request metrics: Fastify's `request.protocol` (X-Forwarded-Proto, with
 * trustProxy) when it says http or https; anything else a client wrote there gives way to the
 * connection's own scheme, so that a forged header cannot make a series per value (the semantic
 * conventions warn that attributes from headers can exhaust the cardinality limits). The span
 * keeps what the request said.
 */
export function metricScheme (request: FastifyRequest): string {
  // Typed 'http' | 'https', but read from a header that can say anything.
  const scheme: string = request.protocol
  if (scheme === 'http' || scheme === 'https') return scheme
  const lower = scheme.toLowerCase()
  if (lower === 'http' || lower === 'https') return lower
  return connectionScheme(request.raw)
}

/** The scheme of the connection a request came on: `https` over TLS, else `http`. */
export function connectionScheme (raw: { socket: unknown }): string {
  return (raw.socket as { encrypted?: boolean } | null)?.encrypted === true ? 'https' : 'http'
}

/** `GET /orders/:id`, `GET` without a route, `HTTP` for an unknown method (semantic conventions). */
export function serverSpanName (method: string, route: string | undefined): string {
  if (!KNOWN_METHODS.has(method)) return 'HTTP'
  return route === undefined ? method : `${method} ${route}`
}

/**
 * The HTTP server attributes of the semantic conventions. The first six are the ones a sampler may
 * look at, so they are given when the span starts; `full` adds the rest in the same object, for a
 * span that will be recorded anyway (one validation pass in the SDK instead of two).
 */
export function requestAttributes (
  request: FastifyRequest,
  route: string | undefined,
  redactedQueryKeys: ReadonlySet<string>,
  full: boolean,
  capturedHeaders: readonly string[]
): Attributes {
  const method = request.method
  const rawUrl = request.url
  const queryStart = rawUrl.indexOf('?')
  const known = KNOWN_METHODS.has(method)
  const attributes: Attributes = {
    'http.request.method': known ? method : '_OTHER',
    'url.path': queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart),
    'url.scheme': request.protocol
  }
  if (!known) attributes['http.request.method_original'] = method
  if (queryStart !== -1 && queryStart < rawUrl.length - 1) {
    attributes['url.query'] = redactQuery(rawUrl.slice(queryStart + 1), redactedQueryKeys)
  }
  if (route !== undefined) attributes['http.route'] = route
  addServerAddress(attributes, request.host)
  if (full) Object.assign(attributes, recordedRequestAttributes(request, capturedHeaders))
  return attributes
}

/**
 * `server.address` and `server.port` from the Host header (or X-Forwarded-Host with trustProxy,
 * through request.host), parsed once here rather than by two getters that each split it again.
 */
function addServerAddress (attributes: Attributes, host: string): void {
  if (host === '') return
  // IPv6 literals are bracketed ([::1]:8080); otherwise the port follows the last colon.
  let portStart = -1
  if (host.charCodeAt(0) === 0x5b) {
    const end = host.indexOf(']')
    if (end !== -1 && host.charCodeAt(end + 1) === 0x3a) portStart = end + 2
  } else {
    const colon = host.lastIndexOf(':')
    if (colon !== -1) portStart = colon + 1
  }
  if (portStart === -1) {
    attributes['server.address'] = host
    return
  }
  attributes['server.address'] = host.slice(0, portStart - 1)
  const port = parsePort(host, portStart)
  if (port !== undefined) attributes['server.port'] = port
}

/** Digits only, at most five, below 65536; anything else is no port. */
function parsePort (text: string, from: number): number | undefined {
  const length = text.length - from
  if (length < 1 || length > 5) return undefined
  let port = 0
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return undefined
    port = port * 10 + (c - 0x30)
  }
  return port < 65536 ? port : undefined
}

/**
 * `network.protocol.version` as the semantic conventions write it: Node says `2.0` for HTTP/2,
 * the conventions `2` (and `3`); `1.0` and `1.1` stay as they are.
 */
export function protocolVersion (httpVersion: string | undefined): string {
  if (httpVersion === '1.1' || httpVersion === undefined) return httpVersion ?? ''
  return httpVersion.endsWith('.0') && httpVersion !== '1.0' ? httpVersion.slice(0, -2) : httpVersion
}

/** Attributes only a recorded span needs. */
export function recordedRequestAttributes (request: FastifyRequest, capturedHeaders: readonly string[]): Attributes {
  const attributes: Attributes = {
    'client.address': request.ip,
    'network.protocol.version': protocolVersion(request.raw.httpVersion)
  }
  const userAgent = request.headers['user-agent']
  if (typeof userAgent === 'string') attributes['user_agent.original'] = userAgent
  for (const name of capturedHeaders) {
    const value = headerValues(request.headers[name])
    if (value !== undefined) attributes[`http.request.header.${name}`] = value
  }
  return attributes
}

/** Response header values to record (the status code is set on its own). */
export function capturedResponseHeaders (
  reply: FastifyReply,
  capturedHeaders: readonly string[]
): Attributes | undefined {
  if (capturedHeaders.length === 0) return undefined
  const attributes: Attributes = {}
  for (const name of capturedHeaders) {
    const value = headerValues(reply.getHeader(name))
    if (value !== undefined) attributes[`http.response.header.${name}`] = value
  }
  return attributes
}

/** Header values as the string array the semantic conventions want. */
function headerValues (value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value]
  if (typeof value === 'number') return [String(value)]
  if (Array.isArray(value)) return value.map(String)
  return undefined
}
