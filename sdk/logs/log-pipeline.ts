import type { Resource } from '@opentelemetry/resources'
import { LoggerProvider } from '@opentelemetry/sdk-logs'
import type { ConfigResolution } from '../config/resolve-config.js'
import type { Warnings } from '../diagnostics/warnings.js'
import type { ExportStats, RetryCounter } from '../export/batch-queue.js'
import { logPipelineWarnings, type PipelineWarnings } from '../assembly/pipeline-warnings.js'
import { BatchLogProcessor } from './batch-log-processor.js'
import { buildLogExporter } from './log-exporter.js'

/** The log side of the SDK: a LoggerProvider on the spans' resource, with the plugin's queue. */
export interface LogPipeline {
  provider: LoggerProvider
  processor: BatchLogProcessor
  warnings: PipelineWarnings
  stats(): ExportStats
}

/**
 * The seed's Step 1 for logs: exporter, batch processor, then a LoggerProvider beside the
 * TracerProvider on the same resource. Undefined when logs are off.
 */
export function assembleLogPipeline (resolution: ConfigResolution, resource: Resource, warnings: Warnings): LogPipeline | undefined {
  const { logs } = resolution.config
  if (!logs.enabled.value) return undefined
  const exporter = buildLogExporter(resolution, (message) => warnings.warn('FOK_WARN_CONFIG', message))
  if (exporter === undefined) return undefined
  const events = logPipelineWarnings(warnings, resolution.config)
  const processor = new BatchLogProcessor(exporter, {
    maxQueueSize: logs.batch.maxQueueSize.value,
    scheduledDelayMillis: logs.batch.scheduledDelayMillis.value,
    maxExportBatchSize: logs.batch.maxExportBatchSize.value,
    exportTimeoutMillis: logs.batch.exportTimeoutMillis.value
  }, events)
  const provider = new LoggerProvider({
    resource,
    processors: [processor],
    logRecordLimits: { attributeValueLengthLimit: logs.attributeValueLengthLimit.value, attributeCountLimit: logs.attributeCountLimit.value }
  })
  const retries = exporter as Partial<RetryCounter>
  return {
    provider,
    processor,
    warnings: events,
    stats: () => processor.stats(typeof retries.retryCount === 'number' ? retries as RetryCounter : undefined)
  }
}
