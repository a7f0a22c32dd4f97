import type { Context, Span } from '@opentelemetry/api'
import type { OutboundRequest } from './outbound.js'

/**
 * `request.otel`: the request's span and context, and the ways to carry that context out of the
 * process. An interface, so the public types show what users call and nothing of the per-request
 * state behind it (plugin/request-telemetry-state.ts).
 */
export interface RequestTelemetry {
  /** False for requests that are ignored, opted out, or served with tracing disabled. */
  readonly traced: boolean
  /** The request span (a no-op span when the request is not traced). */
  readonly span: Span
  /** The context every hook and the handler run in: the request span is its active span. */
  readonly context: Context
  readonly traceId: string
  readonly spanId: string
  /** False for untraced requests and for requests the sampler dropped. */
  readonly sampled: boolean
  /**
   * Writes the trace context headers (traceparent, baggage, B3... as configured) into `headers`
   * and returns it, for an outbound call made with any client. A no-op in extract-only mode.
   */
  inject<T extends Record<string, unknown>>(headers?: T): T
  /** `fetch` inside a CLIENT span under the active span of this request, with the context injected. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  /**
   * Runs `call` inside a CLIENT span under the active span of this request. `call` receives the
   * headers to send (yours plus the trace context) and the span.
   */
  outbound<T>(
    request: OutboundRequest,
    call: (headers: Record<string, string>, span: Span) => T | Promise<T>
  ): Promise<T>
}
