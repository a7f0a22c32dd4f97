import type { ResolvedSdkConfig } from '../config/options.js'
import type { Warnings } from '../diagnostics/warnings.js'
import { WindowedReport } from '../diagnostics/windowed-report.js'
import type { BatchProcessorEvents } from '../export/batch-processor.js'

const WINDOW_MILLIS = 10_000

export interface PipelineWarnings extends BatchProcessorEvents {
  /** Reports what the current windows hold and stops their timers (at shutdown). */
  close(): void
}

/**
 * Drops and failed exports, summarised per 10 s window (the first at once), each saying what to
 * change. Every counted span appears in exactly one summary.
 */
export function pipelineWarnings (warnings: Warnings, config: ResolvedSdkConfig): PipelineWarnings {
  const destination = config.exporter.kind.value === 'otlp-grpc' ? 'the collector' : 'the exporter'
  const drops = new WindowedReport<undefined>(WINDOW_MILLIS, (count) => {
    warnings.warn('FOK_WARN_SPANS_DROPPED',
      `dropped ${count} span(s) because the export queue is full (batch.maxQueueSize ${config.batch.maxQueueSize.value}). ` +
        'Raise maxQueueSize to at least peak requests/s x spans per request x scheduledDelayMillis/1000, or check that the collector keeps up.',
      { once: false })
  })
  const failures = new WindowedReport<Error>(WINDOW_MILLIS, (count, error) => {
    warnings.warn('FOK_WARN_EXPORT_FAILED',
      `could not export ${count} span(s) to ${destination}: ${error?.message ?? 'unknown error'}. The service keeps running; these spans are lost.`,
      { once: false })
  })
  return {
    onDrop: () => { drops.add(1) },
    onExportFailure: (spanCount, error) => { failures.add(spanCount, error ?? new Error('unknown error')) },
    close: () => {
      drops.close()
      failures.close()
    }
  }
}
