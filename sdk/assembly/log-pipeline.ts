import type { Resource } from '@opentelemetry/resources'
import { LoggerProvider } from '@opentelemetry/sdk-logs'
import type { ConfigResolution } from '../config/resolve-config.js'
import type { Warnings } from '../diagnostics/warnings.js'
import type { ExportStats, RetryCounter } from '../export/queue-contracts.js'
import { logPipelineWarnings, type PipelineWarnings } from './pipeline-warnings.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import { BatchLogProcessor } from '../logs/batch-log-processor.js'
import { buildLogExporter } from './log-exporter.js'
import { queueLimits } from './queue-limits.js'
import { measuredLogRecords } from '../logs/log-queue-encoding.js'
import type { LogRecordSink } from '../logs/log-record-sink.js'

/** The log side of the SDK: a LoggerProvider on the spans' resource, with the plugin's queue. */
export interface LogPipeline {
  provider: LoggerProvider
  processor: BatchLogProcessor
  /** The same queue, for records built without the SDK's Logger. */
  sink: LogRecordSink
  warnings: PipelineWarnings
  stats(): ExportStats
  /** Why the log exporter's last attempt failed, while none has succeeded since. */
  lastFailure(): string | undefined
}

/**
 * The log side of the assembly: exporter, batch processor, then a LoggerProvider beside the
 * TracerProvider on the same resource. Undefined when logs are off.
 */
export function assembleLogPipeline (
  resolution: ConfigResolution,
  resource: Resource,
  warnings: Warnings
): LogPipeline | undefined {
  const { logs } = resolution.config
  if (!logs.enabled.value) return undefined
  const exporter = buildLogExporter(resolution, (message) => warnings.warn('FOK_WARN_CONFIG', message))
  if (exporter === undefined) return undefined
  const events = logPipelineWarnings(warnings, resolution.config)
  const processor = new BatchLogProcessor(
    exporter,
    queueLimits(logs.batch, logs.exporter),
    events,
    measuredLogRecords(),
    logs.bodyLengthLimit.value
  )
  const limits = {
    attributeValueLengthLimit: logs.attributeValueLengthLimit.value,
    attributeCountLimit: logs.attributeCountLimit.value,
    bodyLengthLimit: logs.bodyLengthLimit.value
  }
  const provider = new LoggerProvider({ resource, processors: [processor], logRecordLimits: limits })
  const retries = exporter as Partial<RetryCounter>
  retries.observe?.(events.retries)
  return {
    provider,
    processor,
    sink: {
      resource,
      // One object: the OTLP serializer groups records by the identity of their scope.
      scope: Object.freeze({ name: PACKAGE_NAME, version: PACKAGE_VERSION }),
      limits,
      offer: (record) => {
        processor.accept(record)
      }
    },
    warnings: events,
    stats: () => processor.stats(typeof retries.retryCount === 'number' ? (retries as RetryCounter) : undefined),
    lastFailure: () => retries.lastFailure
  }
}
