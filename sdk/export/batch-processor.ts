import { type Context, TraceFlags } from '@opentelemetry/api'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base'

export interface BatchLimits {
  maxQueueSize: number
  scheduledDelayMillis: number
  maxExportBatchSize: number
  exportTimeoutMillis: number
}

/** Counters since the processor was created. `queued` is the current queue length. */
export interface PipelineStats {
  queued: number
  /** Spans the exporter accepted. */
  exported: number
  /** Spans dropped because the queue was full. */
  dropped: number
  /** Spans in batches whose export failed for good (after any retries) or timed out. */
  failed: number
  /** Export attempts repeated after a transient failure (filled in by the retrying exporter). */
  retries: number
}

export interface BatchProcessorEvents {
  /** Spans were dropped because the queue was full; `total` counts since creation. */
  onDrop?: (total: number) => void
  /** A batch could not be delivered. */
  onExportFailure?: (spanCount: number, error: Error | undefined) => void
}

/** Retry counts live in the exporter; the processor asks for them when stats are read. */
export interface RetryCounter {
  readonly retryCount: number
}

/**
 * A batch span processor with the specification's behaviour (bounded queue, drops counted, export
 * never concurrent, timed export, bounded flush) plus counters the SDK's own processor keeps private.
 *
 * Spans from worker threads enter through `onEnd` like any other, which is why the queue accepts
 * ReadableSpan rather than the SDK's Span class.
 */
export class BatchExportProcessor implements SpanProcessor {
  private readonly queue: ReadableSpan[] = []
  private timer: NodeJS.Timeout | undefined
  private exporting: Promise<void> | undefined
  private isShutdown = false
  private shutdownPromise: Promise<void> | undefined
  private readonly counts = { exported: 0, dropped: 0, failed: 0 }

  constructor (
    private readonly exporter: SpanExporter,
    private readonly limits: BatchLimits,
    private readonly events: BatchProcessorEvents = {}
  ) {}

  onStart (_span: Span, _parentContext: Context): void {}

  onEnd (span: ReadableSpan): void {
    if (this.isShutdown) return
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return
    if (this.queue.length >= this.limits.maxQueueSize) {
      this.counts.dropped++
      this.events.onDrop?.(this.counts.dropped)
      return
    }
    this.queue.push(span)
    if (this.exporting !== undefined) return
    if (this.queue.length >= this.limits.maxExportBatchSize) {
      this.clearTimer()
      this.exporting = this.drain(false)
    } else {
      this.armTimer()
    }
  }

  stats (retries: RetryCounter | undefined): PipelineStats {
    return { queued: this.queue.length, ...this.counts, retries: retries?.retryCount ?? 0 }
  }

  get pending (): number {
    return this.queue.length
  }

  /** Exports everything queued now, waiting for an export already under way first. */
  async forceFlush (): Promise<void> {
    this.clearTimer()
    // Loop: another drain may start between the await and the check (export is never concurrent).
    while (this.exporting !== undefined) await this.exporting
    if (this.queue.length > 0) {
      this.exporting = this.drain(true)
      await this.exporting
    }
  }

  shutdown (): Promise<void> {
    this.shutdownPromise ??= (async () => {
      await this.forceFlush()
      this.isShutdown = true
      await this.exporter.shutdown()
    })()
    return this.shutdownPromise
  }

  /**
   * Exports batch after batch. On a timer (`all` false) it stops when less than a full batch is
   * left and re-arms the timer; on a flush it empties the queue.
   */
  private async drain (all: boolean): Promise<void> {
    try {
      do {
        const batch = this.queue.splice(0, this.limits.maxExportBatchSize)
        if (batch.length === 0) break
        await this.exportBatch(batch)
      } while (this.queue.length >= this.limits.maxExportBatchSize || (all && this.queue.length > 0))
    } finally {
      this.exporting = undefined
      if (this.queue.length > 0 && !this.isShutdown) this.armTimer()
    }
  }

  private async exportBatch (batch: ReadableSpan[]): Promise<void> {
    // Resource attributes from async detectors (host.id) must be settled before serialising.
    const pending = batch.filter((s) => s.resource.asyncAttributesPending === true)
    if (pending.length > 0) {
      await Promise.all(pending.map((s) => s.resource.waitForAsyncAttributes?.()))
    }
    const result = await this.exportWithTimeout(batch)
    if (result.code === ExportResultCode.SUCCESS) {
      this.counts.exported += batch.length
    } else {
      this.counts.failed += batch.length
      this.events.onExportFailure?.(batch.length, result.error)
    }
  }

  private exportWithTimeout (batch: ReadableSpan[]): Promise<ExportResult> {
    return new Promise((resolve) => {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        resolve({ code: ExportResultCode.FAILED, error: new Error(`export timed out after ${this.limits.exportTimeoutMillis} ms`) })
      }, this.limits.exportTimeoutMillis)
      timer.unref()
      try {
        this.exporter.export(batch, (result) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          resolve(result)
        })
      } catch (error) {
        // An exporter that throws instead of reporting must not take the pipeline down.
        settled = true
        clearTimeout(timer)
        resolve({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) })
      }
    })
  }

  private armTimer (): void {
    if (this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.exporting === undefined) this.exporting = this.drain(false)
    }, this.limits.scheduledDelayMillis)
    // A pending batch must not keep an otherwise finished process alive: the flush on close, on
    // signals and at beforeExit covers the end of the process.
    this.timer.unref()
  }

  private clearTimer (): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }
}
