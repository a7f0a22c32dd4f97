import { type Attributes, type Link, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api'
import { context, trace } from './otel-api.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from './instrumentation-scope.js'
import { runInSpan } from './run-in-span.js'

export interface WithSpanOptions {
  /** Default INTERNAL. */
  kind?: SpanKind
  /** Default: the global tracer provider's tracer named `fastify-otel-kit`. Pass your own to name the scope. */
  tracer?: Tracer
  links?: Link[]
  /** The ERROR status description for a thrown error. Default: the error's message. */
  errorDescription?: (error: unknown) => string
}

/**
 * Runs `fn` inside a new active span (a child of whatever span is active) and always ends it.
 * Returning sets status OK; throwing or rejecting records the exception, sets ERROR with a
 * description and `error.type`, and rethrows the very same error. Works for sync and async `fn`.
 *
 * ```ts
 * const result = await withSpan('refund.process', { 'order.id': orderId }, async (span) => gateway.refund(orderId))
 * ```
 */
export function withSpan<T> (name: string, fn: (span: Span) => T): T
export function withSpan<T> (
  name: string,
  attributes: Attributes | undefined,
  fn: (span: Span) => T,
  options?: WithSpanOptions
): T
export function withSpan<T> (
  name: string,
  attributesOrFn: Attributes | undefined | ((span: Span) => T),
  maybeFn?: (span: Span) => T,
  options: WithSpanOptions = {}
): T {
  const fn = typeof attributesOrFn === 'function' ? attributesOrFn : maybeFn
  if (typeof fn !== 'function') {
    throw new TypeError(`${PACKAGE_NAME}: withSpan needs a function to run; received ${typeof fn}.`)
  }
  const attributes = typeof attributesOrFn === 'function' ? undefined : attributesOrFn
  const tracer = options.tracer ?? trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION)
  const parent = context.active()
  const span = tracer.startSpan(
    name,
    { attributes, kind: options.kind ?? SpanKind.INTERNAL, links: options.links },
    parent
  )
  return runInSpan(span, trace.setSpan(parent, span), () => fn(span), {
    succeeded: setOk,
    describe: options.errorDescription
  })
}

function setOk (span: Span): void {
  span.setStatus({ code: SpanStatusCode.OK })
}
