import { redactEndpoint } from '../config/endpoint.js'
import type { ResolvedExporterConfig, ResolvedSdkConfig } from '../config/options.js'
import type { WarningCode, Warnings } from '../diagnostics/warnings.js'
import { WindowedReport } from '../diagnostics/windowed-report.js'
import type { BatchProcessorEvents, RetryObserver } from '../export/queue-contracts.js'

const WINDOW_MILLIS = 10_000

export interface PipelineWarnings extends BatchProcessorEvents {
  /** Reports what the current windows hold and stops their timers (at shutdown). */
  close(): void
  /** Says when exports start being retried and when they succeed again (the exporter's retries tell it). */
  retries: RetryObserver
}

const GAVE_UP = 'some batches ran out of retries meanwhile (FOK_WARN_EXPORT_FAILED counted them)'

/** After an outage's end is said, a new one beginning within this is not said (a flapping collector). */
const QUIET_AFTER_RECOVERY_MILLIS = 60_000

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
  // Only OTLP exporters retry: the collector, named by its endpoint (credentials redacted).
  const collector = `the collector at ${redactEndpoint(wording.exporter.endpoint.value)}`
  // A queue that fills while the collector cannot be reached: the size advice above would not help.
  const outageDrops = new WindowedReport<undefined>(WINDOW_MILLIS, (count) => {
    warnings.warn(
      wording.dropCode,
      `dropped ${count} ${wording.noun}(s) because the export queue filled while exports to ${collector} are ` +
        'failing and being retried: nothing leaves the queue until the collector answers, so a larger queue ' +
        'only delays the drops (by the time it takes to fill). Bring the collector back, or run one beside ' +
        'the service (an agent) so that a central collector\'s outage is bridged there.',
      { once: false }
    )
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
        `The service is not affected; these ${wording.noun}s are lost.`,
      { once: false }
    )
  })
  /** Whether exports are failing and being retried right now (said or not: a flap's may be quiet). */
  let failing = false
  /** Whether the current run of failures was said (and so its end will be), and when the last one ended. */
  let announced = false
  let lastRecovery = -Infinity
  const retries: RetryObserver = {
    onRetrying: (reason, budgetMillis) => {
      failing = true
      announced = performance.now() - lastRecovery >= QUIET_AFTER_RECOVERY_MILLIS
      if (!announced) return
      warnings.warn(
        'FOK_WARN_EXPORT_RETRYING',
        `exports of ${wording.noun}s to ${collector} are failing (${reason}) and are being retried, each batch for ` +
          `up to ${Math.round(budgetMillis / 1000)} s, while the queue takes new ${wording.noun}s: nothing is lost ` +
          'unless the queue fills or a batch runs out of retries, which are counted and said.',
        { once: false }
      )
    },
    onRecovered: (millis, gaveUp) => {
      failing = false
      lastRecovery = performance.now()
      if (!announced) return
      announced = false
      warnings.warn(
        'FOK_WARN_EXPORT_RECOVERED',
        `exports of ${wording.noun}s to ${collector} succeed again, after ${(millis / 1000).toFixed(1)} s of ` +
          `failures; ${gaveUp ? GAVE_UP : 'no batch ran out of retries meanwhile'}.`,
        { once: false }
      )
    }
  }
  return {
    retries,
    onDrop: (_total, reason) => {
      const report =
        reason === 'shutting-down' ? lateDrops : failing ? outageDrops : reason === 'queue-bytes' ? byteDrops : drops
      report.add(1)
    },
    onExportFailure: (count, error) => {
      failures.add(count, error ?? new Error('unknown error'))
    },
    close: () => {
      drops.close()
      byteDrops.close()
      outageDrops.close()
      lateDrops.close()
      failures.close()
    }
  }
}
