import type { ResolvedExporterConfig, ResolvedLogBatchConfig } from '../config/options.js'
import { DEFAULT_RETRY_POLICY } from '../config/retry-policy.js'
import type { BatchLimits } from '../export/batch-queue.js'

/**
 * One queue's limits from the resolved settings: its bounds (count and bytes), its timing, and how
 * long it holds a batch the collector cannot take for now (exporter.retry.budgetMillis; none with
 * `retry: false`). The same for spans and log records.
 */
export function queueLimits (batch: ResolvedLogBatchConfig, exporter: ResolvedExporterConfig): BatchLimits {
  const retry = exporter.retry.value
  return {
    maxQueueSize: batch.maxQueueSize.value,
    scheduledDelayMillis: batch.scheduledDelayMillis.value,
    maxExportBatchSize: batch.maxExportBatchSize.value,
    exportTimeoutMillis: batch.exportTimeoutMillis.value,
    maxQueueBytes: batch.maxQueueBytes.value,
    ...(retry === false
      ? {}
      : { retry: { budgetMillis: retry.budgetMillis, policy: { ...DEFAULT_RETRY_POLICY, ...retry } } })
  }
}
