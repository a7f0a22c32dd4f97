import type { ResolvedExporterConfig, ResolvedLogBatchConfig } from '../config/options.js'
import type { BatchLimits } from '../export/queue-contracts.js'

/** One queue's limits from the resolved settings: its bounds (count and bytes) and its timing. */
export function queueLimits (batch: ResolvedLogBatchConfig, exporter: ResolvedExporterConfig): BatchLimits {
  return {
    maxQueueSize: batch.maxQueueSize.value,
    scheduledDelayMillis: batch.scheduledDelayMillis.value,
    maxExportBatchSize: batch.maxExportBatchSize.value,
    exportTimeoutMillis: exportDeadline(batch, exporter),
    maxQueueBytes: batch.maxQueueBytes.value
  }
}

/**
 * How long one export of a batch may take, its retries included: `exportTimeoutMillis`, or for
 * OTLP with retries on, the retry budget when that is longer (exporter.retry.budgetMillis). A
 * collector that restarts within the budget gets the batch; meanwhile the queue waits (one export
 * at a time) and keeps taking items up to its bounds. The retrying exporter and the queue's
 * deadline use the same value.
 */
export function exportDeadline (batch: ResolvedLogBatchConfig, exporter: ResolvedExporterConfig): number {
  const retry = exporter.retry.value
  const timeout = batch.exportTimeoutMillis.value
  if (exporter.kind.value !== 'otlp' || retry === false) return timeout
  return Math.max(timeout, retry.budgetMillis)
}
