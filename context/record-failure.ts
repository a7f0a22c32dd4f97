import { type Span, SpanStatusCode } from '@opentelemetry/api'
import { errorType } from './error-type.js'

/**
 * The exception event for a thrown value: an Error as it is, anything else (a string, a number,
 * an object a library rejected with) as its string form, so that every throw leaves an event.
 */
export function recordThrown (span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error))
}

/**
 * A failure on a span, the one way this package records one: the exception event, `error.type`
 * (the error's class name) and an ERROR status whose description is `message` (by default the
 * error's message, or the thrown value as a string).
 */
export function recordFailure (span: Span, error: unknown, message: string = describeThrown(error)): void {
  recordThrown(span, error)
  span.setAttribute('error.type', errorType(error))
  span.setStatus({ code: SpanStatusCode.ERROR, message })
}

/** A thrown value in words: an Error's message, anything else as a string. */
export function describeThrown (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
