import {
  type Attributes, context, type Context, isSpanContextValid, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode,
  trace, type TextMapGetter
} from '@opentelemetry/api'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import { errorType } from '../context/error-type.js'
import { markRandomTraceId } from '../context/w3c-trace-context.js'
import { recordedRequestAttributes, responseAttributes, samplingAttributes, serverSpanName } from './http-attributes.js'
import type { OutboundRuntime } from './outbound.js'
import { RequestTelemetry, UNTRACED } from './request-telemetry.js'
import { kRequestTelemetry } from './symbols.js'

/** Everything the request hooks need, resolved once per plugin instance. */
export interface RequestRuntime extends OutboundRuntime {
  extractOnly: boolean
  traceResponseHeader: boolean
  logCorrelation: boolean
  ignorePaths: ReadonlySet<string>
  ignore: ((request: FastifyRequest) => boolean) | undefined
  spanName: ((request: FastifyRequest) => string) | undefined
  requestAttributes: ((request: FastifyRequest) => Attributes | undefined) | undefined
  responseAttributes: ((request: FastifyRequest, reply: FastifyReply) => Attributes | undefined) | undefined
  captureRequestHeaders: readonly string[]
  captureResponseHeaders: readonly string[]
  /** Where failures of the user's hooks are reported. */
  log: FastifyBaseLogger
}

type Traced = FastifyRequest & { [kRequestTelemetry]: RequestTelemetry | null }

/** Fastify's headers are a plain object of lower-cased names. */
const headerGetter: TextMapGetter<FastifyRequest['headers']> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key]
}

export function requestTelemetryOf (request: FastifyRequest): RequestTelemetry | null {
  return (request as Traced)[kRequestTelemetry]
}

/**
 * Opens the request's SERVER span, parented on the context extracted from the headers, and
 * stores it on the request. Idempotent. Never throws: a failure here would fail the request.
 */
export function startRequestSpan (runtime: RequestRuntime, request: FastifyRequest, reply: FastifyReply): RequestTelemetry {
  const existing = (request as Traced)[kRequestTelemetry]
  if (existing !== null && existing !== undefined) return existing
  let telemetry: RequestTelemetry = UNTRACED
  try {
    telemetry = openSpan(runtime, request, reply)
  } catch (error) {
    runtime.log.error({ err: error }, 'fastify-otel-kit: could not start the request span; the request continues untraced')
  }
  ;(request as Traced)[kRequestTelemetry] = telemetry
  return telemetry
}

function openSpan (runtime: RequestRuntime, request: FastifyRequest, reply: FastifyReply): RequestTelemetry {
  const routeOptions = request.routeOptions
  if (routeOptions.config?.otel === false) return UNTRACED
  const route = routeOptions.url
  if (runtime.ignorePaths.size > 0 && isIgnoredPath(runtime.ignorePaths, route, request.url)) return UNTRACED
  if (runtime.ignore !== undefined && callUserHook(runtime, 'ignore', () => runtime.ignore!(request)) === true) return UNTRACED

  // With instrumentation-http preloaded, the HTTP SERVER span is already active: make the
  // request span its INTERNAL child instead of a second SERVER span for the same request.
  const active = context.active()
  const activeSpan = trace.getSpan(active)
  const nested = activeSpan !== undefined && (activeSpan as Span & { kind?: SpanKind }).kind === SpanKind.SERVER
  const parent: Context = nested ? active : runtime.propagator.extract(ROOT_CONTEXT, request.headers, headerGetter)

  const name = (runtime.spanName !== undefined ? callUserHook(runtime, 'spanName', () => runtime.spanName!(request)) : undefined) ??
    serverSpanName(request.method, route)
  const span = runtime.tracer.startSpan(name, {
    kind: nested ? SpanKind.INTERNAL : SpanKind.SERVER,
    attributes: samplingAttributes(request, route, runtime.redactedQueryKeys)
  }, parent)

  if (span.isRecording()) {
    span.setAttributes(recordedRequestAttributes(request, runtime.captureRequestHeaders))
    if (runtime.requestAttributes !== undefined) {
      const extra = callUserHook(runtime, 'requestAttributes', () => runtime.requestAttributes!(request))
      if (extra !== undefined && extra !== null) span.setAttributes(extra)
    }
  }

  const spanContext = span.spanContext()
  let ctx = trace.setSpan(parent, span)
  // A trace this service starts has a random trace-id (W3C Level 2 random flag).
  const parentSpanContext = trace.getSpanContext(parent)
  if (parentSpanContext === undefined || !isSpanContextValid(parentSpanContext)) ctx = markRandomTraceId(ctx, spanContext.traceId)
  const telemetry = new RequestTelemetry(true, span, ctx, runtime)
  telemetry.response = reply.raw

  if (runtime.logCorrelation) correlateLogs(request, reply, spanContext.traceId, spanContext.spanId, spanContext.traceFlags)
  if (runtime.traceResponseHeader && !runtime.extractOnly) {
    reply.header('traceresponse', `00-${spanContext.traceId}-${spanContext.spanId}-0${(spanContext.traceFlags & 1).toString(16)}`)
  }
  return telemetry
}

/** Records a thrown error on the request span (Fastify runs onError before the error handler). */
export function recordRequestError (request: FastifyRequest, error: unknown): void {
  const telemetry = (request as Traced)[kRequestTelemetry]
  if (telemetry === null || telemetry === undefined || telemetry.ended) return
  telemetry.span.recordException(error instanceof Error ? error : String(error))
  telemetry.errorType ??= errorType(error)
}

/** Ends the span once the response has been fully written. */
export function finishRequestSpan (runtime: RequestRuntime, request: FastifyRequest, reply: FastifyReply): void {
  const telemetry = (request as Traced)[kRequestTelemetry]
  if (telemetry === null || telemetry === undefined || telemetry.ended) return
  telemetry.ended = true
  const span = telemetry.span
  try {
    if (span.isRecording()) {
      span.setAttributes(responseAttributes(reply, runtime.captureResponseHeaders))
      const status = reply.statusCode
      // Server spans: 5xx is an error, 4xx is the client's problem and leaves the status unset.
      if (status >= 500) {
        span.setAttribute('error.type', telemetry.errorType ?? String(status))
        span.setStatus({ code: SpanStatusCode.ERROR })
      }
      if (runtime.responseAttributes !== undefined) {
        const extra = callUserHook(runtime, 'responseAttributes', () => runtime.responseAttributes!(request, reply))
        if (extra !== undefined && extra !== null) span.setAttributes(extra)
      }
    }
  } finally {
    span.end()
  }
}

/** The client went away before the response was complete. */
export function abortRequestSpan (request: FastifyRequest): void {
  const telemetry = (request as Traced)[kRequestTelemetry]
  if (telemetry === null || telemetry === undefined || telemetry.ended) return
  telemetry.ended = true
  const span = telemetry.span
  const response = telemetry.response
  if (response?.headersSent === true) span.setAttribute('http.response.status_code', response.statusCode)
  span.setAttribute('error.type', telemetry.errorType ?? 'aborted')
  span.addEvent('http.request.aborted', { reason: 'the client closed the connection before the response was complete' })
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'Client aborted the request' })
  span.end()
}

function isIgnoredPath (paths: ReadonlySet<string>, route: string | undefined, url: string): boolean {
  if (route !== undefined && paths.has(route)) return true
  const queryStart = url.indexOf('?')
  return paths.has(queryStart === -1 ? url : url.slice(0, queryStart))
}

/**
 * The request's log lines carry the trace (OpenTelemetry log data model field names). Only for a
 * real logger: Fastify's disabled logger has no level.
 */
function correlateLogs (request: FastifyRequest, reply: FastifyReply, traceId: string, spanId: string, flags: number): void {
  const level = (request.log as { level?: string }).level
  if (level === undefined || level === 'silent') return
  const child = request.log.child({ trace_id: traceId, span_id: spanId, trace_flags: flags & 1 ? '01' : '00' })
  request.log = child
  reply.log = child
}

/** Runs a user-supplied option function; a throw is logged and never reaches the request. */
function callUserHook<T> (runtime: RequestRuntime, name: string, fn: () => T): T | undefined {
  try {
    return fn()
  } catch (error) {
    runtime.log.error({ err: error }, `fastify-otel-kit: the ${name} option threw; ignored for this request`)
    return undefined
  }
}
