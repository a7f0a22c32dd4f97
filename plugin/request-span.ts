import {
  type Attributes,
  type Context,
  type HrTime,
  SamplingDecision,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter
} from '@opentelemetry/api'
import { context, diag, trace } from '../context/otel-api.js'
import { getRPCMetadata, RPCType } from '@opentelemetry/core'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import { IncomingMessage, type ServerResponse } from 'node:http'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import { Socket } from 'node:net'
import { errorType } from '../context/error-type.js'
import { recordThrown } from '../context/record-failure.js'
import { LinkedContext } from '../context/linked-context.js'
import { formatTraceParent, isValidSpanContext, markLocalRoot, w3cTraceFlags } from '../context/w3c-trace-context.js'
import { capturedResponseHeaders, recordedRequestAttributes, requestAttributes } from './http-attributes.js'
import type { OutboundRuntime } from './outbound.js'
import type { SpanStarter } from '../sdk/traces/span-starter.js'
import { RequestTelemetryState, UNTRACED } from './request-telemetry-state.js'
import { type RouteInfo, routeInfoOf, routeRecordFor, spanNameFor } from './route-info.js'
import { kRequestTelemetry } from './symbols.js'
import { COVERAGE_SCOPE } from '../sdk/traces/child-spans.js'
import { RequestCoverage } from './request-coverage.js'
import type { RouteSummaries } from '../sdk/traces/route-summary.js'
import { clockStartingNow, spanClockOf, timeOn } from '../sdk/traces/span-clock.js'
import {
  type ChildInterval,
  coveredBy,
  uncoveredMillis,
  uncoveredShare,
  uncoveredWithin
} from '../sdk/traces/span-coverage.js'
import type { LifecycleSettings } from './lifecycle-options.js'
import { STAGE_BODY } from './lifecycle-steps.js'
import { endTiming, settleSlowStep } from './lifecycle-timing.js'
import type { RequestMetrics } from '../sdk/metrics/request-metrics.js'
import { endOfResponse, startMeasure } from './request-metrics.js'

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
  /** Starts the request span. */
  spans: SpanStarter
  /** Where failures of the user's hooks are reported. */
  log: FastifyBaseLogger
  /** The plugin's lifecycle timing settings (a route may override them). */
  lifecycle: LifecycleSettings
  /** Wraps a route's serializers and validators for timing, once (route-info.ts). */
  instrumentRoute: (routeContext: object) => { validates: boolean }
  /** The per-route summary behind `app.otel.routeSummary()`. */
  summaries: RouteSummaries
  /** Whether the pipeline collects request spans' children (it is the package's own). */
  coverageKnown: boolean
  /** Where the HTTP server metrics are recorded; undefined when metrics are off. */
  metrics: RequestMetrics | undefined
}

type Traced = FastifyRequest & { [kRequestTelemetry]: RequestTelemetryState | null }
const NO_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes
const HTTP_INSTRUMENTATION = '@opentelemetry/instrumentation-http'
/** instrumentation-http spans already made a request span: each belongs to one request. */
const adopted = new WeakSet<Span>()

/** Fastify's headers are a plain object of lower-cased names. */
const headerGetter: TextMapGetter<FastifyRequest['headers']> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key]
}

export function requestTelemetryOf (request: FastifyRequest): RequestTelemetryState | null {
  return (request as Traced)[kRequestTelemetry]
}

/**
 * Opens the request's SERVER span, parented on the context extracted from the headers, and
 * stores it on the request. Idempotent. Never throws: a failure here would fail the request.
 */
export function startRequestSpan (
  runtime: RequestRuntime,
  request: FastifyRequest,
  reply: FastifyReply
): RequestTelemetryState {
  const existing = (request as Traced)[kRequestTelemetry]
  if (existing !== null && existing !== undefined) return existing
  let telemetry: RequestTelemetryState = UNTRACED
  try {
    telemetry = openSpan(runtime, request, reply)
  } catch (error) {
    runtime.log.error(
      { err: error },
      'fastify-otel-kit: could not start the request span; the request continues untraced'
    )
  }
  ;(request as Traced)[kRequestTelemetry] = telemetry
  return telemetry
}

function openSpan (runtime: RequestRuntime, request: FastifyRequest, reply: FastifyReply): RequestTelemetryState {
  const info = routeInfoOf(request, runtime)
  if (!info.traced) return UNTRACED
  if (runtime.ignorePaths.size > 0 && runtime.ignorePaths.has(pathOf(request.url))) return UNTRACED
  if (runtime.ignore !== undefined && callUserHook(runtime, 'ignore', () => runtime.ignore!(request)) === true) {
    return UNTRACED
  }

  const active = context.active()
  const activeSpan = trace.getSpan(active)
  let inProcessParent: Context | undefined
  if (activeSpan !== undefined) {
    // With instrumentation-http preloaded, its SERVER span for this request is active: it becomes
    // the request span, so there is exactly one SERVER span per request.
    if (isHttpServerSpanFor(request, activeSpan)) {
      adopted.add(activeSpan)
      const telemetry = adoptServerSpan(runtime, request, reply, info, active, activeSpan)
      telemetry.measure = startMeasure(runtime.metrics, request, info, true)
      // After instrumentation-http's own 'close' listener, which ends its span: the span's duration.
      if (telemetry.measure !== undefined) {
        const measure = telemetry.measure
        const response = reply.raw
        response.on('close', () => {
          endOfResponse(measure, response, reply, telemetry.errorType, (activeSpan as Partial<ReadableSpan>).duration)
        })
      }
      return telemetry
    }
    // A request made in-process (app.inject() in a handler: batch endpoints, composed apps) is
    // a child of what was active where it was made, unless its headers say otherwise. A request
    // that came over a socket only ever has its headers: what was active when the server started
    // listening is no parent of it.
    if (!(request.raw.socket instanceof Socket) && isValidSpanContext(activeSpan.spanContext())) {
      inProcessParent = active
    }
  }
  let parent: Context = runtime.propagator.extract(LinkedContext.ROOT, request.headers, headerGetter)
  let parentSpanContext = trace.getSpanContext(parent)
  // Headers forwarded whole from the outer request (to pass auth on) carry its caller's
  // traceparent: same trace, an ancestor. The span active where the request was made is nearer.
  if (
    inProcessParent !== undefined &&
    (!isValidSpanContext(parentSpanContext) ||
      parentSpanContext!.traceId === trace.getSpanContext(inProcessParent)!.traceId)
  ) {
    parent = inProcessParent
    parentSpanContext = trace.getSpanContext(parent)
  }
  const parentValid = isValidSpanContext(parentSpanContext)
  // A trace this service starts has a random trace-id (W3C Level 2 random flag).
  if (!parentValid) parent = markLocalRoot(parent)

  // The sampler says, where it can, what it will decide: nothing to record needs no attributes, a
  // span that will be recorded takes every attribute at once, and otherwise the sampler sees the
  // few it may look at and the rest follow once it decided to record.
  const decision = runtime.spans.preview(parent)
  let span: Span
  if (decision === SamplingDecision.NOT_RECORD) {
    span = runtime.spans.start(spanNameFor(info, request.method), SpanKind.SERVER, NO_ATTRIBUTES, parent)
  } else {
    const name = userSpanName(runtime, request) ?? spanNameFor(info, request.method)
    const full = decision === SamplingDecision.RECORD_AND_SAMPLED
    const attributes = requestAttributes(
      request,
      info.route,
      runtime.redactedQueryKeys,
      full,
      runtime.captureRequestHeaders
    )
    span = runtime.spans.start(name, SpanKind.SERVER, attributes, parent)
    if (span.isRecording()) {
      if (!full) span.setAttributes(recordedRequestAttributes(request, runtime.captureRequestHeaders))
      addUserAttributes(runtime, request, span)
    }
  }
  const telemetry = new RequestTelemetryState(true, span, trace.setSpan(parent, span), runtime)
  // One listener ends the span: 'close' follows 'finish' for a complete response and also comes
  // when the client went away first. Non-recording spans need no ending; the metrics still count
  // their request, timed by the clock read now.
  const recording = span.isRecording()
  telemetry.measure = startMeasure(runtime.metrics, request, info, !recording)
  if (recording) {
    prepareTiming(runtime, telemetry, info, request)
    watchResponse(telemetry, request, reply, false)
  } else if (telemetry.measure !== undefined) {
    const measure = telemetry.measure
    const response = reply.raw
    response.on('close', () => {
      endOfResponse(measure, response, reply, telemetry.errorType, undefined)
    })
  }
  return announce(runtime, request, reply, telemetry)
}

/**
 * instrumentation-http's SERVER span, made for this very request: it is over a real socket (not
 * app.inject()), and no request adopted the span before (a request handled while another one's
 * span is active, without a span of its own, would otherwise take that one over).
 */
function isHttpServerSpanFor (request: FastifyRequest, span: Span): boolean {
  const candidate = span as Span & { kind?: SpanKind; instrumentationScope?: { name?: string } }
  return (
    candidate.kind === SpanKind.SERVER &&
    candidate.instrumentationScope?.name === HTTP_INSTRUMENTATION &&
    !adopted.has(span) &&
    request.raw instanceof IncomingMessage
  )
}

/**
 * instrumentation-http's SERVER span as the request span: named and attributed as the plugin's
 * own would be, with the plugin's status rules, context, log correlation and request.otel. Its end
 * stays with instrumentation-http (on the response's 'close'); the plugin's 'close' listener is
 * put first so the final attributes and status are set before that.
 */
function adoptServerSpan (
  runtime: RequestRuntime,
  request: FastifyRequest,
  reply: FastifyReply,
  info: RouteInfo,
  active: Context,
  span: Span
): RequestTelemetryState {
  if (span.isRecording()) {
    const custom = userSpanName(runtime, request)
    span.updateName(custom ?? spanNameFor(info, request.method))
    // instrumentation-http renames its span from the RPC metadata's route when it ends; with the
    // route there, its name agrees with ours (and it records http.route). A custom name wins.
    const rpc = getRPCMetadata(active)
    if (custom === undefined && info.route !== undefined && rpc?.type === RPCType.HTTP) rpc.route = info.route
    span.setAttributes(
      requestAttributes(request, info.route, runtime.redactedQueryKeys, true, runtime.captureRequestHeaders)
    )
    addUserAttributes(runtime, request, span)
  }
  const telemetry = new RequestTelemetryState(true, span, active, runtime)
  if (span.isRecording()) {
    prepareTiming(runtime, telemetry, info, request)
    watchResponse(telemetry, request, reply, true)
  }
  return announce(runtime, request, reply, telemetry)
}

/**
 * A recorded request is measured (docs/guides/where-did-the-time-go.md): its span's clock, its
 * route's summary record, the coverage scope its children are collected under, and, unless the
 * route's lifecycle timing is off, the mark its first phase starts from.
 */
function prepareTiming (
  runtime: RequestRuntime,
  telemetry: RequestTelemetryState,
  info: RouteInfo,
  request: FastifyRequest
): void {
  const clock = spanClockOf(telemetry.span) ?? clockStartingNow()
  telemetry.clock = clock
  telemetry.coverageKnown = runtime.coverageKnown
  telemetry.record = routeRecordFor(info, request.method, runtime.summaries)
  const coverage = new RequestCoverage(telemetry.span, telemetry)
  telemetry.coverage = coverage
  telemetry.context = telemetry.context.setValue(COVERAGE_SCOPE, coverage)
  if (info.timing.mode !== 'off') {
    telemetry.timing = info.timing
    telemetry.validates = info.validates
    telemetry.hasBody = hasBody(request)
    telemetry.mark = clock.performanceStart
    telemetry.stage = STAGE_BODY
  }
}

/**
 * Finishes the request span on the response's 'close', which follows 'finish' for a complete
 * response and also comes when the client went away first. (A closure, not a property on the
 * response: adding properties to Node's response objects changes their shape and slows Node's
 * own HTTP code down.) An adopted span is finished first and ended by its owner.
 */
function watchResponse (
  telemetry: RequestTelemetryState,
  request: FastifyRequest,
  reply: FastifyReply,
  adopted: boolean
): void {
  telemetry.request = request
  telemetry.reply = reply
  const response = reply.raw
  if (adopted) {
    response.prependListener('close', () => {
      onResponseClose(response, telemetry, false)
    })
  } else {
    response.on('close', () => {
      onResponseClose(response, telemetry, true)
    })
  }
}

/** What every traced request gets, whoever made its span: log correlation and traceresponse. */
function announce (
  runtime: RequestRuntime,
  request: FastifyRequest,
  reply: FastifyReply,
  telemetry: RequestTelemetryState
): RequestTelemetryState {
  const spanContext = telemetry.span.spanContext()
  if (runtime.logCorrelation) {
    correlateLogs(request, reply, spanContext.traceId, spanContext.spanId, spanContext.traceFlags)
  }
  if (runtime.traceResponseHeader && !runtime.extractOnly) {
    // Level 2: the server span's ids and flags, the random flag by the same rule as traceparent.
    reply.header('traceresponse', formatTraceParent(spanContext, w3cTraceFlags(telemetry.context, spanContext)))
  }
  return telemetry
}

function userSpanName (runtime: RequestRuntime, request: FastifyRequest): string | undefined {
  return runtime.spanName === undefined
    ? undefined
    : callUserHook(runtime, 'spanName', () => runtime.spanName!(request))
}

function addUserAttributes (runtime: RequestRuntime, request: FastifyRequest, span: Span): void {
  if (runtime.requestAttributes === undefined) return
  const extra = callUserHook(runtime, 'requestAttributes', () => runtime.requestAttributes!(request))
  if (extra !== undefined && extra !== null) span.setAttributes(extra)
}

/** A remote parent that said "not sampled" (and did not defer the decision, as B3 can). */
function onResponseClose (response: ServerResponse, telemetry: RequestTelemetryState, end: boolean): void {
  if (telemetry.ended) return
  if (response.writableEnded) finishRequestSpan(telemetry, end)
  else abortRequestSpan(telemetry, end)
}

/** Records a thrown error on the request span (Fastify runs onError before the error handler). */
export function recordRequestError (request: FastifyRequest, error: unknown): void {
  const telemetry = (request as Traced)[kRequestTelemetry]
  if (telemetry === null || telemetry === undefined || telemetry.ended) return
  // The error type also serves the request metrics, recorded span or not.
  if (telemetry.span.isRecording()) recordThrown(telemetry.span, error)
  else if (telemetry.measure === undefined) return
  if (telemetry.errorType === undefined) {
    telemetry.errorType = errorType(error)
    telemetry.failure = error
  }
}

/** Finishes the span once the response has been fully written; `end` unless its owner ends it. */
function finishRequestSpan (telemetry: RequestTelemetryState, end: boolean): void {
  telemetry.ended = true
  const { span, request, reply } = telemetry
  const runtime = telemetry.runtime as RequestRuntime
  try {
    if (reply === undefined || request === undefined) return
    const status = reply.statusCode
    span.setAttribute('http.response.status_code', status)
    const headers = capturedResponseHeaders(reply, runtime.captureResponseHeaders)
    if (headers !== undefined) span.setAttributes(headers)
    // Server spans: 5xx is an error, 4xx is the client's problem and leaves the status unset.
    if (status >= 500) {
      span.setAttribute('error.type', telemetry.errorType ?? String(status))
      span.setStatus({ code: SpanStatusCode.ERROR })
      if (!end && telemetry.errorType !== undefined) keepErrorTypeAtEnd(span, telemetry.errorType)
    }
    if (runtime.responseAttributes !== undefined) {
      const extra = callUserHook(runtime, 'responseAttributes', () => runtime.responseAttributes!(request, reply))
      if (extra !== undefined && extra !== null) span.setAttributes(extra)
    }
  } finally {
    closeRequest(telemetry, end)
  }
}

/**
 * An adopted span is ended by instrumentation-http, which first sets `error.type` to the status
 * code (`'500'`) over the thrown error's type the plugin set. The span's own `end` is wrapped, for
 * this span only, to set the error's type again just before it ends: the conventions want the
 * error's class when there is one, and the plugin's own spans and the request metrics have it.
 */
function keepErrorTypeAtEnd (span: Span, type: string): void {
  const end = span.end
  span.end = function (this: Span, endTime?: Parameters<Span['end']>[0]): void {
    span.end = end
    this.setAttribute('error.type', type)
    end.call(this, endTime)
  }
}

/** The client went away before the response was complete. */
function abortRequestSpan (telemetry: RequestTelemetryState, end: boolean): void {
  telemetry.ended = true
  const span = telemetry.span
  const response = telemetry.reply?.raw
  if (response?.headersSent === true) span.setAttribute('http.response.status_code', response.statusCode)
  span.setAttribute('error.type', telemetry.errorType ?? 'aborted')
  span.addEvent('http.request.aborted', { reason: 'the client closed the connection before the response was complete' })
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'Client aborted the request' })
  closeRequest(telemetry, end)
}

/**
 * The request is over: its last phase closed, its coverage recorded on the span, its route's
 * summary told, and the span ended (unless its owner ends it) at the time all of that was measured
 * against: one clock reading, the one the span would have taken itself.
 */
function closeRequest (telemetry: RequestTelemetryState, end: boolean): void {
  const clock = telemetry.clock
  if (clock === undefined) {
    if (end) {
      endSpan(telemetry, undefined)
      measured(telemetry)
    }
    return
  }
  const now = performance.now()
  const endTime = timeOn(clock, now)
  try {
    endTiming(telemetry, now)
    // The recorded children are the pipeline's spans, which carry their times (ReadableSpan).
    const children = telemetry.coverage?.children as unknown as ChildInterval[] | undefined
    const covered = telemetry.coverageKnown ? coveredBy(clock.startTime, endTime, children) : undefined
    if (covered !== undefined) {
      const span = telemetry.span
      span.setAttribute('fastify.request.uncovered_ms', Math.round(uncoveredMillis(covered) * 1000) / 1000)
      span.setAttribute('fastify.request.uncovered_share', Math.round(uncoveredShare(covered) * 10000) / 10000)
      // The same figure per route as a histogram (fastify.request.uncovered.duration), with metrics on.
      telemetry.measure?.uncovered(uncoveredMillis(covered) / 1000)
    }
    const record = telemetry.record
    record?.recordRequest(now - clock.performanceStart, covered === undefined ? undefined : uncoveredShare(covered))
    telemetry.summarized = true
    const slow = telemetry.slowSteps
    if (slow !== undefined) {
      telemetry.slowSteps = undefined
      const origin = clock.performanceStart
      for (const step of slow) {
        const explains =
          covered === undefined ? undefined : uncoveredWithin(covered, step.start - origin, step.end - origin)
        settleSlowStep(telemetry, step, explains)
        record?.recordStep(step.name, step.kind, step.end - step.start, explains)
      }
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    diag.error(`fastify-otel-kit: measuring the request's time failed: ${reason}`)
  }
  const coverage = telemetry.coverage
  if (coverage !== undefined) {
    coverage.children = undefined
    coverage.request = undefined
  }
  if (end) {
    endSpan(telemetry, endTime)
    measured(telemetry)
  }
}

/** The request span has ended: its duration goes to the request metrics (no second clock). */
function measured (telemetry: RequestTelemetryState): void {
  const measure = telemetry.measure
  const response = telemetry.reply?.raw
  if (measure === undefined || response === undefined) return
  const duration = (telemetry.span as Partial<ReadableSpan>).duration
  endOfResponse(measure, response, telemetry.reply, telemetry.errorType, duration)
}

/**
 * Ends the request span inside the response's 'close' listener, where a throw would be an
 * uncaught exception. This package's own pipeline never throws there (its processor chain skips a
 * processor that throws); an application's SDK may (its MultiSpanProcessor does not catch).
 */
function endSpan (telemetry: RequestTelemetryState, endTime: HrTime | undefined): void {
  try {
    telemetry.span.end(endTime)
  } catch (error) {
    const message =
      "fastify-otel-kit: ending the request span threw (a span processor of the application's SDK?); " +
      `the span may not be exported: ${error instanceof Error ? error.message : String(error)}`
    diag.error(message)
    ;(telemetry.runtime as RequestRuntime).log.error({ err: error }, message)
  }
}

/** Whether a body follows the headers (what Fastify itself checks before it parses one). */
function hasBody (request: FastifyRequest): boolean {
  const headers = request.headers
  const length = headers['content-length']
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

function pathOf (url: string): string {
  const queryStart = url.indexOf('?')
  return queryStart === -1 ? url : url.slice(0, queryStart)
}

/**
 * The request's log lines carry the trace (OpenTelemetry log data model field names). Only for a
 * real logger: Fastify's disabled logger has no level.
 */
function correlateLogs (
  request: FastifyRequest,
  reply: FastifyReply,
  traceId: string,
  spanId: string,
  flags: number
): void {
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
