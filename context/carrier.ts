import { type Context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT } from '@opentelemetry/api'
import { context } from './otel-api.js'
import { W3CBaggagePropagator } from '@opentelemetry/core'
import { PriorityCompositePropagator } from './composite-propagator.js'
import { LinkedContext } from './linked-context.js'
import { W3CTraceContextPropagator } from './w3c-trace-context.js'

/**
 * A context as plain data: survives JSON, structured clone (worker threads), process boundaries
 * and job payloads. Always W3C Trace Context plus W3C Baggage, whatever propagators the service
 * uses for HTTP, so both ends of any boundary agree on the format.
 */
export interface ContextCarrier {
  traceparent?: string
  tracestate?: string
  baggage?: string
}

/** Limits from the W3C specifications; anything longer is dropped rather than half-parsed. */
const MAX_TRACESTATE = 8192
const MAX_BAGGAGE = 8192
const MAX_TRACEPARENT = 1024
/**
 * W3C Baggage is ASCII (anything else is percent-encoded). OpenTelemetry's baggage propagator
 * passes member properties on unencoded, so a control or non-ASCII character accepted here would
 * come out again in every outbound header, where HTTP clients refuse it and the call fails.
 */
const BAGGAGE_CHARACTERS = /^[\t\x20-\x7e]*$/

const carrierFormat = new PriorityCompositePropagator([new W3CTraceContextPropagator(), new W3CBaggagePropagator()])

/**
 * Captures `ctx` (the active context by default) as a plain carrier. An empty context gives `{}`.
 * Capture at the moment work is handed over, never earlier: the carrier records that moment's span.
 */
export function captureContext (ctx: Context = context.active()): ContextCarrier {
  const carrier: ContextCarrier = {}
  carrierFormat.inject(ctx, carrier, defaultTextMapSetter)
  return carrier
}

/**
 * The context a carrier describes, on top of ROOT_CONTEXT. Anything malformed (wrong types,
 * invalid ids, oversize values, a getter that throws) yields the empty context: a carrier from a
 * queue or another process is untrusted input and must never throw.
 *
 * Besides strings, a field may hold the shapes messaging clients hand back for headers the carrier
 * was written into: bytes (Kafka's headers are Buffers) and SQS's message attribute
 * (`{ DataType: 'String', StringValue }`).
 */
export function contextFromCarrier (carrier: unknown): Context {
  if (carrier === null || typeof carrier !== 'object' || Array.isArray(carrier)) return ROOT_CONTEXT
  const clean: ContextCarrier = {}
  try {
    const source = carrier as Record<string, unknown>
    const traceparent = carriedString(source.traceparent, MAX_TRACEPARENT)
    if (traceparent !== undefined) clean.traceparent = traceparent
    const tracestate = carriedString(source.tracestate, MAX_TRACESTATE)
    if (tracestate !== undefined) clean.tracestate = tracestate
    const baggage = carriedString(source.baggage, MAX_BAGGAGE)
    if (baggage !== undefined && BAGGAGE_CHARACTERS.test(baggage)) clean.baggage = baggage
    return carrierFormat.extract(LinkedContext.ROOT, clean, defaultTextMapGetter)
  } catch {
    return ROOT_CONTEXT
  }
}

/**
 * A carrier field's text, when it is one and no longer than `limit`: a string, bytes (a Kafka
 * header), or SQS's message attribute (`{ DataType, StringValue }`). Reading may throw (a hostile
 * getter): the caller catches.
 */
export function carriedString (value: unknown, limit: number): string | undefined {
  if (typeof value === 'string') return value.length <= limit ? value : undefined
  if (value instanceof Uint8Array) {
    // W3C Trace Context and Baggage are ASCII: a byte that is not one fails the checks that follow.
    if (value.byteLength > limit) return undefined
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1')
  }
  if (value !== null && typeof value === 'object') {
    const text = (value as { StringValue?: unknown }).StringValue
    return typeof text === 'string' && text.length <= limit ? text : undefined
  }
  return undefined
}

/** True for an OpenTelemetry Context object (as opposed to a carrier). */
export function isContext (value: unknown): value is Context {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Context).getValue === 'function' &&
    typeof (value as Context).setValue === 'function' &&
    typeof (value as Context).deleteValue === 'function'
  )
}

/** A Context as is; anything else read as a carrier (an object whose reads throw: the empty context). */
export function toContext (carrierOrContext: unknown): Context {
  try {
    return isContext(carrierOrContext) ? carrierOrContext : contextFromCarrier(carrierOrContext)
  } catch {
    return ROOT_CONTEXT
  }
}
