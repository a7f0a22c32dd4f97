import {
  type Attributes,
  type Context,
  defaultTextMapSetter,
  type Histogram,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer
} from '@opentelemetry/api'
import { suppressTracing } from '@opentelemetry/core'
import { context, trace } from '../context/otel-api.js'
import { recordFailure } from '../context/record-failure.js'
import { errorType } from '../context/error-type.js'
import { knownMethod } from './http-attributes.js'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import { redactQuery } from '../sdk/common/query-redaction.js'

export interface OutboundRequest {
  /** Default GET. */
  method?: string
  url: string | URL
  /** Span name; default the method, as the HTTP semantic conventions name client spans. */
  name?: string
  attributes?: Attributes
  /** Headers to send; the trace context headers are added to a copy. */
  headers?: Record<string, string>
}

/** What the call may return: anything with a numeric `status` or `statusCode` is recorded. */
type MaybeResponse = { status?: unknown; statusCode?: unknown } | null | undefined

export interface OutboundRuntime {
  tracer: Tracer
  propagator: TextMapPropagator
  redactedQueryKeys: ReadonlySet<string>
  /** http.client.request.duration; undefined when metrics are off. */
  clientDuration?: Histogram | undefined
}

/**
 * Runs `call` inside a CLIENT span that is a child of `parent`, with the trace context injected
 * into the headers it receives (unless the propagator is extract-only). A response status of 400
 * or more marks the span ERROR (client spans count 4xx as errors); a throw is recorded and rethrown.
 *
 * `call` runs with tracing suppressed: this span is the call's CLIENT span, so an instrumented
 * client underneath (instrumentation-undici for fetch, instrumentation-http, a driver's) makes no
 * second one and injects nothing. Without that, undici appends its own traceparent to ours, Node
 * joins the two into one header, and the downstream service cannot read it and starts a new trace.
 * The span stays the active one: `trace.getActiveSpan()` inside `call` is still this span.
 */
export async function callOutbound<T> (
  runtime: OutboundRuntime,
  parent: Context,
  request: OutboundRequest,
  call: (headers: Record<string, string>, span: Span) => T | Promise<T>
): Promise<T> {
  const method = (request.method ?? 'GET').toUpperCase()
  const url = typeof request.url === 'string' ? safeUrl(request.url) : request.url
  const attributes: Attributes = { 'http.request.method': method, ...request.attributes }
  if (url !== undefined) {
    attributes['server.address'] = url.hostname
    attributes['server.port'] = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
    attributes['url.full'] = fullUrl(url, runtime.redactedQueryKeys)
  }
  const span = runtime.tracer.startSpan(request.name ?? method, { kind: SpanKind.CLIENT, attributes }, parent)
  const spanContext = trace.setSpan(parent, span)
  const headers: Record<string, string> = { ...request.headers }
  runtime.propagator.inject(spanContext, headers, defaultTextMapSetter)
  // A call nobody records is timed by the clock for the metrics; a recorded one by its span.
  const startedAt = runtime.clientDuration !== undefined && !span.isRecording() ? performance.now() : -1
  let status: number | undefined
  let failure: string | undefined
  try {
    const result = await context.with(suppressTracing(spanContext), () => call(headers, span))
    status = responseStatus(result as MaybeResponse)
    if (status !== undefined) {
      span.setAttribute('http.response.status_code', status)
      if (status >= 400) {
        failure = String(status)
        span.setAttribute('error.type', failure)
        span.setStatus({ code: SpanStatusCode.ERROR })
      }
    }
    return result
  } catch (error) {
    failure = errorType(error)
    recordFailure(span, error)
    throw error
  } finally {
    span.end()
    if (runtime.clientDuration !== undefined) {
      recordClientDuration(runtime.clientDuration, span, startedAt, method, url, status, failure)
    }
  }
}

/** http.client.request.duration, with the attributes the semantic conventions require of it. */
function recordClientDuration (
  histogram: Histogram,
  span: Span,
  startedAt: number,
  method: string,
  url: URL | undefined,
  status: number | undefined,
  failure: string | undefined
): void {
  let seconds: number
  if (startedAt >= 0) {
    seconds = (performance.now() - startedAt) / 1000
  } else {
    const duration = (span as Partial<ReadableSpan>).duration
    if (duration === undefined || duration[0] < 0) return
    seconds = duration[0] + duration[1] / 1e9
  }
  const attributes: Attributes = { 'http.request.method': knownMethod(method) }
  if (url !== undefined) {
    attributes['server.address'] = url.hostname
    attributes['server.port'] = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
    attributes['url.scheme'] = url.protocol.slice(0, -1)
  }
  if (status !== undefined) attributes['http.response.status_code'] = status
  if (failure !== undefined) attributes['error.type'] = failure
  histogram.record(seconds, attributes)
}

/** `fetch` with a CLIENT span and injected context. */
export function fetchOutbound (
  runtime: OutboundRuntime,
  parent: Context,
  input: string | URL | Request,
  init: RequestInit = {}
): Promise<Response> {
  const method = init.method ?? (input instanceof Request ? input.method : 'GET')
  const url = input instanceof Request ? input.url : input
  return callOutbound(runtime, parent, { method, url }, (traceHeaders) => {
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined))
    for (const [key, value] of Object.entries(traceHeaders)) headers.set(key, value)
    return fetch(input, { ...init, headers })
  })
}

function responseStatus (result: MaybeResponse): number | undefined {
  if (result === null || typeof result !== 'object') return undefined
  const status = typeof result.status === 'number' ? result.status : result.statusCode
  return typeof status === 'number' && Number.isInteger(status) ? status : undefined
}

function safeUrl (raw: string): URL | undefined {
  try {
    return new URL(raw)
  } catch {
    return undefined
  }
}

/** The URL without credentials and with sensitive query values redacted. */
function fullUrl (url: URL, redactedQueryKeys: ReadonlySet<string>): string {
  const query = url.search.length > 1 ? `?${redactQuery(url.search.slice(1), redactedQueryKeys)}` : ''
  const credentials = url.username !== '' || url.password !== '' ? 'REDACTED:REDACTED@' : ''
  return `${url.protocol}//${credentials}${url.host}${url.pathname}${query}`
}
