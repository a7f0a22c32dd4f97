import type { Context } from '@opentelemetry/api'
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace'
import { diag } from '../../context/otel-api.js'
import { collectChild } from './child-spans.js'
import { SpanStatementRedaction } from './span-statement-redaction.js'
import { SpanUrlRedaction } from './span-url-redaction.js'

/**
 * The span processors of the pipeline, called in order with the SDK's sequence (the SDK's
 * MultiSpanProcessor does the same, but is not exported): onStart for each, then at end onEnding
 * for each that has it, then onEnd for each.
 *
 * Unlike the SDK's, a processor that throws is reported through diag and skipped: these calls
 * happen inside request handlers and the request's own event handlers (the response's `close`),
 * where a throw would fail the request or crash the process, not just lose one span.
 */
export class ProcessorChain implements SpanProcessor {
  private readonly withOnEnding: SpanProcessor[]
  /** Sensitive query values and URL credentials, redacted in every span before export. */
  readonly urlRedaction = new SpanUrlRedaction()
  /** Values in database statements (literals, Redis arguments, parameters), unless turned off. */
  readonly statementRedaction: SpanStatementRedaction

  constructor (readonly processors: readonly SpanProcessor[], { sanitizeStatements = true } = {}) {
    this.withOnEnding = processors.filter((p) => typeof p.onEnding === 'function')
    this.statementRedaction = new SpanStatementRedaction(sanitizeStatements)
  }

  onStart (span: Span, parentContext: Context): void {
    // A direct child of a request span is noted for the request's coverage (child-spans.ts).
    collectChild(span, parentContext)
    for (const processor of this.processors) {
      try {
        processor.onStart(span, parentContext)
      } catch (error) {
        reportThrow('onStart', error)
      }
    }
  }

  onEnding (span: Span): void {
    for (const processor of this.withOnEnding) {
      try {
        processor.onEnding!(span)
      } catch (error) {
        reportThrow('onEnding', error)
      }
    }
    // After the application's onEnding (which may set URL attributes too), before any onEnd.
    try {
      this.urlRedaction.apply(span)
      this.statementRedaction.apply(span)
    } catch (error) {
      reportThrow('onEnding (redaction)', error)
    }
  }

  onEnd (span: ReadableSpan): void {
    for (const processor of this.processors) {
      try {
        processor.onEnd(span)
      } catch (error) {
        reportThrow('onEnd', error)
      }
    }
  }

  /**
   * Like the SDK's MultiSpanProcessor, a processor whose flush fails is reported (through diag) and
   * the flush still resolves: callers flush at exit (`beforeExit`, signals), where a rejection
   * would crash the process, and one failing processor must not hide that the others flushed.
   */
  async forceFlush (): Promise<void> {
    const results = await Promise.allSettled(this.processors.map(async (p) => await p.forceFlush()))
    for (const result of results) {
      if (result.status === 'rejected') {
        diag.error(`fastify-otel-kit: a span processor's forceFlush failed: ${describeReason(result.reason)}`)
      }
    }
  }

  async shutdown (): Promise<void> {
    await Promise.all(this.processors.map((p) => p.shutdown()))
  }
}

function reportThrow (method: string, error: unknown): void {
  diag.error(
    `fastify-otel-kit: a span processor threw in ${method}; skipped for this span: ` +
      `${error instanceof Error ? error.message : String(error)}`
  )
}

/** The SDK's provider rejects a flush with an array of errors; each is named. */
function describeReason (reason: unknown): string {
  if (Array.isArray(reason)) return reason.map(describeReason).join('; ')
  return reason instanceof Error ? reason.message : String(reason)
}
