import type { Context, Span } from '@opentelemetry/api'
import { context } from './otel-api.js'
import { describeThrown, recordFailure } from './record-failure.js'

export interface RunInSpanHooks {
  /** Called before the span ends when `fn` returned (or its promise resolved). */
  succeeded?: (span: Span) => void
  /** The ERROR status description for a thrown value. Default: the error's message. */
  describe?: (error: unknown) => string
}

/**
 * Runs `fn` with `active` as the active context and ends `span` when `fn` is done: when it
 * returns, or when the promise it returns settles. A throw or a rejection is recorded on the span
 * (recordFailure) and passed on unchanged. The span ends exactly once, whatever `fn` does.
 */
export function runInSpan<T> (span: Span, active: Context, fn: () => T, hooks: RunInSpanHooks = {}): T {
  let result: T
  try {
    result = context.with(active, fn)
  } catch (error) {
    fail(span, error, hooks)
    span.end()
    throw error
  }
  if (!isPromiseLike(result)) {
    hooks.succeeded?.(span)
    span.end()
    return result
  }
  return result.then(
    (value) => {
      hooks.succeeded?.(span)
      span.end()
      return value
    },
    (error: unknown) => {
      fail(span, error, hooks)
      span.end()
      throw error
    }
  ) as T
}

function fail (span: Span, error: unknown, hooks: RunInSpanHooks): void {
  let message: string
  try {
    message = hooks.describe?.(error) ?? describeThrown(error)
  } catch {
    message = String(error)
  }
  recordFailure(span, error, message)
}

function isPromiseLike<T> (value: T): value is T & PromiseLike<Awaited<T>> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
