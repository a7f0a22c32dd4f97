import {
  type Attributes,
  type Context,
  defaultTextMapSetter,
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span
} from '@opentelemetry/api'
import { context, trace } from '../context/otel-api.js'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { callOutbound, fetchOutbound, type OutboundRequest, type OutboundRuntime } from './outbound.js'
import type { RequestTelemetry } from './request-telemetry.js'
import type { RouteRecord } from '../sdk/traces/route-summary.js'
import type { SpanClock } from '../sdk/traces/span-clock.js'
import type { LifecycleSettings } from './lifecycle-options.js'
import type { LifecycleStep } from './lifecycle-steps.js'
import type { StepKind } from '../sdk/traces/route-summary.js'
import type { RequestMeasure } from './request-metrics.js'
import type { RequestCoverage } from './request-coverage.js'

/** A hook, handler or phase that crossed the slow threshold, on the performance clock. */
export interface SlowStep {
  readonly name: string
  readonly kind: StepKind
  readonly start: number
  readonly end: number
  /**
   * With `lifecycleSpans: 'slow'`, the span it becomes if the request's other children leave
   * enough of it uncovered (decided when the request ends); undefined when it has its span already.
   */
  readonly span?: { readonly attributes: Attributes; readonly failed: boolean; readonly error: unknown }
}

/**
 * What `request.otel` is at run time: the public RequestTelemetry plus the state the request
 * span's end needs. Internal (the public types name only the interface). One instance per
 * traced request; untraced requests share UNTRACED.
 */
export class RequestTelemetryState implements RequestTelemetry {
  /** Set once the span has ended, so finish and abort never end it twice. */
  ended = false
  /** `error.type` of the first error the request recorded. */
  errorType: string | undefined
  /** That error, for the step it ended (lifecycle-timing.ts); undefined until one is recorded. */
  failure: unknown = undefined
  /** The request and reply of a recorded span, for its end. */
  request: FastifyRequest | undefined
  reply: FastifyReply | undefined
  /** The request's HTTP server metrics, when metrics are on (plugin/request-metrics.ts). */
  measure: RequestMeasure | undefined = undefined

  // Where the time went (lifecycle-timing.ts), for a recorded request span only.
  /** The route's lifecycle settings; null when the request is not timed (off, or not recorded). */
  timing: LifecycleSettings | null = null
  /** The request span's time line. */
  clock: SpanClock | undefined = undefined
  /** performance.now() of the last thing observed; NaN while a step runs or when unknown. */
  mark = NaN
  /** What Fastify does since `mark` (a STAGE_*). */
  stage = 0
  /** Timed calls on the stack right now (a reply sent from inside the handler is nested). */
  depth = 0
  /** A handler that returned without replying: it ends at the next thing observed. */
  pending: LifecycleStep | undefined = undefined
  pendingStart = 0
  pendingSpan: Span | undefined = undefined
  /** Serialization or onSend began: a handler that returns undefined after that has replied. */
  replyStarted = false
  /** The route validates its input. */
  validates = false
  /** The request carries a body (the stretch before validation is then its parsing). */
  hasBody = false
  /** The route's summary record. */
  record: RouteRecord | undefined = undefined
  /** Slow steps, recorded in the summary at the end (with how much of them nothing covered). */
  slowSteps: SlowStep[] | undefined = undefined
  /** The request's figures went to the route summary: a step that ends later goes there directly. */
  summarized = false
  /** The coverage scope of the request's context (request-coverage.ts), for a recorded request. */
  coverage: RequestCoverage<RequestTelemetryState> | undefined = undefined
  /** Whether children are collected at all (not with an SDK of the application's). */
  coverageKnown = false

  constructor (
    readonly traced: boolean,
    readonly span: Span,
    /** Set once; a recorded request's gains its coverage scope right after (request-span.ts). */
    public context: Context,
    readonly runtime: OutboundRuntime
  ) {}

  get traceId (): string {
    return this.span.spanContext().traceId
  }

  get spanId (): string {
    return this.span.spanContext().spanId
  }

  get sampled (): boolean {
    return (this.span.spanContext().traceFlags & 1) === 1
  }

  inject<T extends Record<string, unknown>>(headers: T = {} as T): T {
    this.runtime.propagator.inject(this.callContext(), headers, defaultTextMapSetter)
    return headers
  }

  fetch (input: string | URL | Request, init?: RequestInit): Promise<Response> {
    return fetchOutbound(this.runtime, this.callContext(), input, init)
  }

  outbound<T>(
    request: OutboundRequest,
    call: (headers: Record<string, string>, span: Span) => T | Promise<T>
  ): Promise<T> {
    return callOutbound(this.runtime, this.callContext(), request, call)
  }

  /**
   * The parent for an outbound call: the active context when it belongs to this request's trace
   * (a call made inside a domain span is that span's child), else the request's own context.
   */
  private callContext (): Context {
    if (!this.traced) return this.context
    const active = context.active()
    return trace.getSpanContext(active)?.traceId === this.traceId ? active : this.context
  }
}

const NON_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
const NOOP_RUNTIME: OutboundRuntime = {
  // A provider with no delegate hands out no-op tracers, whatever SDK is registered globally.
  tracer: new ProxyTracerProvider().getTracer('fastify-otel-kit-untraced'),
  propagator: { inject () {}, extract: (ctx) => ctx, fields: () => [] },
  redactedQueryKeys: new Set()
}

/** What untraced requests (ignored, opted out, tracing disabled) see: valid calls that do nothing. */
export const UNTRACED = new RequestTelemetryState(false, NON_RECORDING, ROOT_CONTEXT, NOOP_RUNTIME)
UNTRACED.ended = true
