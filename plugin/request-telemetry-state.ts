import {
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
import type { RequestMeasure } from './request-metrics.js'

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
  /** The request and reply of a recorded span, for its end. */
  request: FastifyRequest | undefined
  reply: FastifyReply | undefined
  /** The request's HTTP server metrics, when metrics are on (plugin/request-metrics.ts). */
  measure: RequestMeasure | undefined = undefined

  constructor (
    readonly traced: boolean,
    readonly span: Span,
    readonly context: Context,
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
