import type { ResolvedExporterConfig, ResolvedSdkConfig } from '../config/options.js'
import type { WarningCode, Warnings } from '../diagnostics/warnings.js'
import { WindowedReport } from '../diagnostics/windowed-report.js'
import type { BatchProcessorEvents } from '../export/queue-contracts.js'

const WINDOW_MILLIS = 10_000

export interface PipelineWarnings extends BatchProcessorEvents {
  /** Reports what the current windows hold and stops their timers (at shutdown). */
  close(): void
}

/** What the warnings of one queue say: what it holds, and how to size it. */
interface QueueWording {
  /** `span`, `log record`. */
  noun: string
  dropCode: WarningCode
  /** Says which queue is full and what to change. */
  dropAdvice: string
  /** The same, when the queue's byte bound is reached. */
  bytesAdvice: string
  exporter: ResolvedExporterConfig
}

/** The span queue's drops and failed exports (docs/reference/warnings.md). */
export function spanPipelineWarnings (warnings: Warnings, config: ResolvedSdkConfig): PipelineWarnings {
  return pipelineWarnings(warnings, {
    noun: 'span',
    dropCode: 'FOK_WARN_SPANS_DROPPED',
    dropAdvice:
      `the export queue is full (batch.maxQueueSize ${config.batch.maxQueueSize.value}). ` +
      'Raise maxQueueSize to at least peak requests/s x spans per request x scheduledDelayMillis/1000, ' +
      'or check that the collector keeps up.',
    bytesAdvice:
      `the export queue holds batch.maxQueueBytes (${config.batch.maxQueueBytes.value}) bytes of spans. ` +
      'Large attribute values fill it before maxQueueSize: ' +
        'cut them (attributeValueLengthLimit) or raise maxQueueBytes.',
    exporter: config.exporter
  })
}

/** The log record queue's drops and failed exports. */
export function logPipelineWarnings (warnings: Warnings, config: ResolvedSdkConfig): PipelineWarnings {
  return pipelineWarnings(warnings, {
    noun: 'log record',
    dropCode: 'FOK_WARN_LOGS_DROPPED',
    dropAdvice:
      `the log export queue is full (logs.batch.maxQueueSize ${config.logs.batch.maxQueueSize.value}). ` +
      'Raise it to at least peak log lines/s x logs.batch.scheduledDelayMillis/1000, ' +
      'or check that the collector keeps up.',
    bytesAdvice:
      `the log export queue holds logs.batch.maxQueueBytes (${config.logs.batch.maxQueueBytes.value}) bytes of ` +
      'records. Long messages fill it before maxQueueSize: cut them (logs.bodyLengthLimit) or raise maxQueueBytes.',
    exporter: config.logs.exporter
  })
}

/**
 * Drops and failed exports, summarised per 10 s window (the first at once), each saying what to
 * change. Every counted item appears in exactly one summary.
 */
function pipelineWarnings (warnings: Warnings, wording: QueueWording): PipelineWarnings {
  const destination = wording.exporter.kind.value === 'otlp' ? 'the collector' : 'the exporter'
  const drops = new WindowedReport<undefined>(WINDOW_MILLIS, (count) => {
    warnings.warn(wording.dropCode, `dropped ${count} ${wording.noun}(s) because ${wording.dropAdvice}`, {
      once: false
    })
  })
  const byteDrops = new WindowedReport<undefined>(WINDOW_MILLIS, (count) => {
    warnings.warn(wording.dropCode, `dropped ${count} ${wording.noun}(s) because ${wording.bytesAdvice}`, {
      once: false
    })
  })
  const lateDrops = new WindowedReport<undefined>(WINDOW_MILLIS, (count) => {
    warnings.warn(
      wording.dropCode,
      `dropped ${count} ${wording.noun}(s) that arrived after shutdown had begun: ` +
        'the export pipeline takes nothing once it is shutting down.',
      { once: false }
    )
  })
  const failures = new WindowedReport<Error>(WINDOW_MILLIS, (count, error) => {
    warnings.warn(
      'FOK_WARN_EXPORT_FAILED',
      `could not export ${count} ${wording.noun}(s) to ${destination}: ${error?.message ?? 'unknown error'}. ` +
        `The service keeps running; these ${wording.noun}s are lost.`,
      { once: false }
    )
  })
  return {
    onDrop: (_total, reason) => {
      ;(reason === 'shutting-down' ? lateDrops : reason === 'queue-bytes' ? byteDrops : drops).add(1)
    },
    onExportFailure: (count, error) => {
      failures.add(count, error ?? new Error('unknown error'))
    },
    close: () => {
      drops.close()
      byteDrops.close()
      lateDrops.close()
      failures.close()
    }
  }
}
