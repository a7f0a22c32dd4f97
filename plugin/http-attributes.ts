import type { Attributes } from '@opentelemetry/api'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** Methods the HTTP semantic conventions know; anything else is reported as `_OTHER`. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY'])
const REDACTED = 'REDACTED'

/** `GET /orders/:id`, `GET` without a route, `HTTP` for an unknown method (semantic conventions). */
export function serverSpanName (method: string, route: string | undefined): string {
  if (!KNOWN_METHODS.has(method)) return 'HTTP'
  return route === undefined ? method : `${method} ${route}`
}

/**
 * Attributes the sampler may look at, so they are given when the span starts: method, path,
 * query, scheme, route, server address and port.
 */
export function samplingAttributes (
  request: FastifyRequest,
  route: string | undefined,
  redactedQueryKeys: ReadonlySet<string>
): Attributes {
  const method = request.method
  const rawUrl = request.url
  const queryStart = rawUrl.indexOf('?')
  const attributes: Attributes = {
    'http.request.method': KNOWN_METHODS.has(method) ? method : '_OTHER',
    'url.path': queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart),
    'url.scheme': request.protocol,
    'server.address': request.hostname
  }
  if (!KNOWN_METHODS.has(method)) attributes['http.request.method_original'] = method
  if (queryStart !== -1 && queryStart < rawUrl.length - 1) {
    attributes['url.query'] = redactQuery(rawUrl.slice(queryStart + 1), redactedQueryKeys)
  }
  if (route !== undefined) attributes['http.route'] = route
  const port = request.port
  if (port !== null && port !== undefined) attributes['server.port'] = port
  return attributes
}

/** Attributes only a recorded span needs. */
export function recordedRequestAttributes (request: FastifyRequest, capturedHeaders: readonly string[]): Attributes {
  const attributes: Attributes = {
    'client.address': request.ip,
    'network.protocol.version': request.raw.httpVersion
  }
  const userAgent = request.headers['user-agent']
  if (typeof userAgent === 'string') attributes['user_agent.original'] = userAgent
  for (const name of capturedHeaders) {
    const value = headerValues(request.headers[name])
    if (value !== undefined) attributes[`http.request.header.${name}`] = value
  }
  return attributes
}

export function responseAttributes (reply: FastifyReply, capturedHeaders: readonly string[]): Attributes {
  const attributes: Attributes = { 'http.response.status_code': reply.statusCode }
  for (const name of capturedHeaders) {
    const value = headerValues(reply.getHeader(name))
    if (value !== undefined) attributes[`http.response.header.${name}`] = value
  }
  return attributes
}

/**
 * Replaces the values of sensitive keys (pre-signed URL signatures, credentials) with `REDACTED`
 * and keeps everything else as received, as the semantic conventions ask.
 */
export function redactQuery (query: string, keys: ReadonlySet<string>): string {
  if (keys.size === 0) return query
  let changed = false
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=')
    const key = eq === -1 ? part : part.slice(0, eq)
    if (eq === -1 || !keys.has(safeDecode(key))) return part
    changed = true
    return `${key}=${REDACTED}`
  })
  return changed ? parts.join('&') : query
}

function safeDecode (value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Header values as the string array the semantic conventions want. */
function headerValues (value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value]
  if (typeof value === 'number') return [String(value)]
  if (Array.isArray(value)) return value.map(String)
  return undefined
}
