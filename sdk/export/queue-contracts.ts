import type { ExportResult } from '@opentelemetry/core'

/**
 * What the batch queue (batch-queue.ts) and the parts around it agree on: its limits, how it holds
 * items, what it counts, the events it raises and the exporter it calls. Kept apart from the queue
 * so that the exporters, the assembly and the metrics read the contracts without the machinery.
 */

export interface BatchLimits {
  /**
   * Items waiting at most; the batch being exported (at most maxExportBatchSize) is held besides,
   * as every OpenTelemetry SDK's batch processor holds it.
   */
  maxQueueSize: number
  scheduledDelayMillis: number
  maxExportBatchSize: number
  /** Deadline of one export call (the exporter's own retries included). */
  exportTimeoutMillis: number
  /**
   * Bytes held at most, waiting and being exported together, as the encoding measures them (the
   * items' OTLP size): the memory bound. No bound when left out.
   */
  maxQueueBytes?: number
}

/**
 * How the queue holds what it is given: `measure` says how many bytes an item takes as it will be
 * sent (the byte bound counts that), `commit` turns it into what the queue holds and the exporter
 * gets (the item itself, or its encoded bytes). `measure` is called once, right before `commit`,
 * and only for an item the queue has room for by count.
 */
export interface QueueEncoding<I, T> {
  measure(input: I): number
  commit(input: I): T
  /**
   * Nothing reads these items any more (batch-lease.ts): the queue is done with their batch and
   * every exporter call made with them has called back. At most once per batch: never for items
   * abandoned in the queue at the shutdown bound, nor for a batch an exporter threw on.
   */
  release?(items: readonly T[]): void
}

/** Holds the items as they are, without measuring them (no byte bound). */
export const AS_GIVEN: QueueEncoding<never, never> = Object.freeze({
  measure: () => 0,
  commit: (input: never) => input
})

/**
 * Counters of one export pipeline (spans, or log records) since it was created. They always
 * balance: `created = exported + dropped + failed + queued`.
 */
export interface ExportStats {
  /** Items that reached the processor (for spans: sampled spans). */
  created: number
  /** Items waiting for export or being exported now. */
  queued: number
  /** Items the exporter accepted. */
  exported: number
  /** Items dropped because the queue was full, or because they arrived after shutdown had begun. */
  dropped: number
  /** Items in batches whose export failed for good (after any retries), timed out, or were abandoned at shutdown. */
  failed: number
  /** Export attempts repeated after a transient failure (filled in by the retrying exporter). */
  retries: number
}

/**
 * Why an item was dropped: the queue held maxQueueSize items, or maxQueueBytes (with this one), or
 * shutdown had begun when it arrived.
 */
export type DropReason = 'queue-full' | 'queue-bytes' | 'shutting-down'

export interface BatchProcessorEvents {
  /** An item was dropped; `total` counts drops of every reason since creation. */
  onDrop?: (total: number, reason: DropReason) => void
  /** A batch could not be delivered. */
  onExportFailure?: (itemCount: number, error: Error | undefined) => void
  /**
   * A batch's export settled (retries and splits included): how long it took, and why it failed
   * (`failureType`), if it did. For the exporter's operation duration metric.
   */
  onExportSettled?: (itemCount: number, seconds: number, failure: string | undefined) => void
}

/**
 * The books behind ExportStats in full, for the SDK's health metrics (otel.sdk.processor.* and
 * otel.sdk.exporter.*): read in one call, so that every figure is of the same moment as stats().
 * `created = submitted + droppedQueueFull + droppedShuttingDown + abandonedInQueue + waiting`, and
 * `submitted = exported + failed (every type) + inFlight`.
 */
export interface QueueBooks {
  created: number
  /** Items handed to the exporter (counted once, whatever the retries and splits). */
  submitted: number
  droppedQueueFull: number
  droppedShuttingDown: number
  /** Items still waiting when the shutdown bound gave up on them: never handed to the exporter. */
  abandonedInQueue: number
  /** Items waiting in the queue. */
  waiting: number
  /** Items with the exporter now, retries included. */
  inFlight: number
  exported: number
  /** Items the exporter failed, by failureType(). */
  failed: ReadonlyMap<string, number>
  capacity: number
}

/** Retry counts live in the exporter; the queue asks for them when stats are read. */
export interface RetryCounter {
  readonly retryCount: number
  /**
   * Why the last attempt failed, while no attempt has succeeded or started since (undefined
   * otherwise): what the shutdown warning gives as the reason when it counts what is left as failed.
   */
  readonly lastFailure?: string
  /** Tells `observer` when exports start failing and being retried, and when they succeed again. */
  observe?(observer: RetryObserver): void
}

/**
 * An outage as the retries see it: the first retry after exports succeeded (or since the start),
 * and the first success after that.
 */
export interface RetryObserver {
  /** An export failed and is being retried; `budgetMillis`: how long one export keeps at it. */
  onRetrying(reason: string, budgetMillis: number): void
  /** An export succeeded after failures: how long since the first of them, and whether any batch gave up. */
  onRecovered(millis: number, gaveUp: boolean): void
}

/** What SpanExporter and LogRecordExporter have in common. */
export interface ItemExporter<T> {
  export(items: T[], done: (result: ExportResult) => void): void
  /** Ends exports still under way (they settle as failed) and releases the exporter's resources. */
  shutdown(): Promise<void>
  forceFlush?(): Promise<void>
}
