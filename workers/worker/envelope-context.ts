import {
  type Context,
  defaultTextMapGetter,
  INVALID_SPANID,
  INVALID_TRACEID,
  type SpanContext
} from '@opentelemetry/api'
import { W3CBaggagePropagator } from '@opentelemetry/core'
import { LinkedContext } from '../../context/linked-context.js'
import { trace } from '../../context/otel-api.js'
import { StrictTraceState } from '../../context/trace-state.js'
import { Envelope, type TaskEnvelope } from '../protocol/messages.js'

const baggageFormat = new W3CBaggagePropagator()

/**
 * The caller's context, rebuilt from the envelope's parts: its span context and its baggage.
 * The span context is local (the dispatch span lives in this process, one thread away), so a
 * span exported from the worker never claims a remote parent it does not have. The ids are those
 * of a span in the main thread, well formed by construction (runInWorker sends none of the
 * invalid ones); anything else that is malformed leaves its part out.
 */
export function envelopeContext (envelope: TaskEnvelope): Context {
  let restored: Context = LinkedContext.ROOT
  if (envelope[Envelope.TraceId] !== '') {
    const spanContext: SpanContext = {
      traceId: envelope[Envelope.TraceId],
      spanId: envelope[Envelope.SpanId],
      traceFlags: envelope[Envelope.TraceFlags] & 0xff,
      isRemote: false
    }
    const traceState = envelope[Envelope.TraceState]
    if (traceState !== undefined && traceState !== '') {
      const parsed = StrictTraceState.parse(traceState)
      if (parsed !== undefined) spanContext.traceState = parsed
    }
    if (
      spanContext.traceId.length === 32 &&
      spanContext.spanId.length === 16 &&
      spanContext.traceId !== INVALID_TRACEID &&
      spanContext.spanId !== INVALID_SPANID
    ) {
      restored = trace.setSpanContext(restored, spanContext)
    }
  }
  const baggage = envelope[Envelope.Baggage]
  if (baggage !== undefined && baggage !== '') {
    restored = baggageFormat.extract(restored, { baggage }, defaultTextMapGetter)
  }
  return restored
}
