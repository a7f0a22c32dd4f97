import type { ResolvedSdkConfig } from '../config/options.js'
import type { KitLogger } from '../diag-logger.js'
import type { BatchProcessorEvents } from '../export/batch-processor.js'

/** At most one warning per 10 s for drops and for failed exports, each saying what to change. */
export function pipelineWarnings (log: KitLogger, config: ResolvedSdkConfig): BatchProcessorEvents {
  const intervalMillis = 10_000
  let lastDropWarning = 0
  let droppedAtLastWarning = 0
  let lastFailureWarning = 0
  let failedSinceWarning = 0
  return {
    onDrop (total) {
      const now = Date.now()
      if (now - lastDropWarning < intervalMillis) return
      log.warn(
        `fastify-otel-kit: dropped ${total - droppedAtLastWarning} span(s) because the export queue is full ` +
          `(batch.maxQueueSize ${config.batch.maxQueueSize.value}). Raise maxQueueSize to at least ` +
          'peak requests/s x spans per request x scheduledDelayMillis/1000, or check that the collector keeps up.'
      )
      lastDropWarning = now
      droppedAtLastWarning = total
    },
    onExportFailure (spanCount, error) {
      failedSinceWarning += spanCount
      const now = Date.now()
      if (now - lastFailureWarning < intervalMillis) return
      log.warn(
        `fastify-otel-kit: could not export ${failedSinceWarning} span(s) to ${config.exporter.kind.value === 'otlp-grpc' ? 'the collector' : 'the exporter'}: ` +
          `${error?.message ?? 'unknown error'}. The service keeps running; these spans are lost.`
      )
      lastFailureWarning = now
      failedSinceWarning = 0
    }
  }
}
