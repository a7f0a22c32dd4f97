import { type Context, TraceFlags } from '@opentelemetry/api'
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace'
import { BatchQueue } from './batch-queue.js'

/**
 * The batch span processor: the specification's behaviour (bounded queue, drops counted, export
 * never concurrent, timed export, bounded flush) from BatchQueue, and the SDK processor's contract
 * (onStart, onEnd, forceFlush, shutdown; only sampled spans; nothing accepted after shutdown), plus
 * what the SDK's BatchSpanProcessor does not give (README, "Export that survives faults", measured
 * there):
 * - every export runs in the root context with tracing suppressed (the SDK's uses the context of
 *   whichever span.end() triggered it, so an instrumented exporter would see the request's span);
 * - one export at a time, also during forceFlush (the SDK's flushes batches concurrently);
 * - forceFlush waits for an export already under way, then drains exactly what was queued when it
 *   started (the SDK's returns while a scheduled export is still running);
 * - counters that balance, for stats() and the warnings.
 *
 * Spans from worker threads enter through `onEnd` like any other, which is why the queue accepts
 * ReadableSpan rather than the SDK's Span class.
 */
export class BatchExportProcessor extends BatchQueue<ReadableSpan> implements SpanProcessor {
  onStart (_span: Span, _parentContext: Context): void {}

  onEnd (span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return
    this.offer(span)
  }
}
