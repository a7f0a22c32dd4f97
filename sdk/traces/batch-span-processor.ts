import { type Context, TraceFlags } from '@opentelemetry/api'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace'
import { BatchQueue } from '../export/batch-queue.js'

/**
 * The batch span processor: the specification's behaviour (bounded queue, drops counted, export
 * never concurrent, timed export, bounded flush) from BatchQueue, and the SDK processor's contract
 * (onStart, onEnd, forceFlush, shutdown; only sampled spans; nothing accepted after shutdown), plus
 * what the SDK's BatchSpanProcessor (sdk-trace 3.1) does not give; docs/internals/upstream-parts.md,
 * "The span batch processor", has each defect measured, and a contract test reproduces each on
 * both:
 * - every export runs in the root context with tracing suppressed (the SDK's uses the context of
 *   whichever span.end() filled the batch or armed the timer: the exporter sees a request's span);
 * - the exporter is called on a later turn, not inside the span.end() that fills a batch (the SDK's
 *   serialises 512 spans inside that call: 2.7-4.7 ms);
 * - one export at a time, also during forceFlush (the SDK's flushes every batch at once, and past
 *   the OTLP exporters' concurrency limit of 30 the rest are lost);
 * - forceFlush waits for an export already under way, then drains exactly what was queued when it
 *   started (the SDK's returns while a scheduled export is still running);
 * - counters that balance, for stats() and the warnings.
 *
 * Spans from worker threads enter through `onEnd` like any other, which is why the queue accepts
 * ReadableSpan rather than the SDK's Span class. The queue holds what its encoding makes of each
 * span (queue-encodings.ts): for OTLP protobuf the span's bytes, written as it ends.
 */
export class BatchExportProcessor<T extends { readonly resource: Resource } = ReadableSpan>
  extends BatchQueue<ReadableSpan, T>
  implements SpanProcessor {
  onStart (_span: Span, _parentContext: Context): void {}

  onEnd (span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return
    this.offer(span)
  }
}
