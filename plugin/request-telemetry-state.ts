import {
  type Context, defaultTextMapSetter, INVALID_SPAN_CONTEXT, ProxyTracerProvider, ROOT_CONTEXT, type Span
} from '@opentelemetry/api'
import { context, trace } from '../context/otel-api.js'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { callOutbound, fetchOutbound, type OutboundRequest, type OutboundRuntime } from './outbound.js'

/**
 * `request.otel`: the request's span and context, and the ways to carry that context out of the
 * process. One instance per traced request; untraced requests share UNTRACED.
 */
export class RequestTelemetry {
  /** Set once the span has ended, so finish and abort never end it twice. */
  ended = false
  /** `error.type` of the first error the request recorded. */
  errorType: string | undefined
  /** @internal The request and reply of a recorded span, for its end. */
  request: FastifyRequest | undefined
  /** @internal */
  reply: FastifyReply | undefined

  constructor (
    /** False for requests that are ignored, opted out, or served with tracing disabled. */
    readonly traced: boolean,
    /** The request span (a no-op span when the request is not traced). */
    readonly span: Span,
    /** The context every hook and the handler run in: the request span is its active span. */
    readonly context: Context,
    /** @internal */
    readonly runtime: OutboundRuntime
  ) {}

  get traceId (): string {
    return this.span.spanContext().traceId
  }

  get spanId (): string {
    return this.span.spanContext().spanId
  }

  /** False for untraced requests and for requests the sampler dropped. */
  get sampled (): boolean {
    return (this.span.spanContext().traceFlags & 1) === 1
  }

  /**
   * Writes the trace context headers (traceparent, baggage, B3... as configured) into `headers`
   * and returns it, for an outbound call made with any client. A no-op in extract-only mode.
   */
  inject<T extends Record<string, unknown>> (headers: T = {} as T): T {
    this.runtime.propagator.inject(this.callContext(), headers, defaultTextMapSetter)
    return headers
  }

  /** `fetch` inside a CLIENT span under the active span of this request, with the context injected. */
  fetch (input: string | URL | Request, init?: RequestInit): Promise<Response> {
    return fetchOutbound(this.runtime, this.callContext(), input, init)
  }

  /**
   * Runs `call` inside a CLIENT span under the active span of this request. `call` receives the
   * headers to send (yours plus the trace context) and the span.
   */
  outbound<T>(request: OutboundRequest, call: (headers: Record<string, string>, span: Span) => T | Promise<T>): Promise<T> {
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
export const UNTRACED = new RequestTelemetry(false, NON_RECORDING, ROOT_CONTEXT, NOOP_RUNTIME)
UNTRACED.ended = true

