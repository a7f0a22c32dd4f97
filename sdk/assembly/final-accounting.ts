import type { Warnings } from '../diagnostics/warnings.js'
import type { Pipeline } from './pipeline.js'

/**
 * Why the pipeline's life ends with items possibly still pending: the release's bound
 * (`app.close()`), the signal handler's deadline (it exits the process next), a second signal
 * during the shutdown, or the flush when the process ran out of work.
 */
export type FinalReason = 'release' | 'signal' | 'interrupted' | 'exit'

/**
 * The last step of a pipeline this package assembled, whichever path gets there first (it runs
 * once): whatever is still pending is counted as failed, so `created = exported + dropped + failed`
 * at exit; that is said in FOK_WARN_SHUTDOWN_ABANDONED; and the warning windows report what they
 * hold, so every counted item appears in exactly one warning. `boundHit` (the release's bound
 * passed) warns even when nothing was left, as the release always has.
 */
export function finalAccounting (
  pipeline: Pipeline,
  warnings: Warnings,
  { reason: ending, timeoutMillis, boundHit }: { reason: FinalReason; timeoutMillis: number; boundHit: boolean }
): void {
  // Read before abandon(), which settles the exports still under way.
  const reason = pipeline.pendingReason()
  const abandoned = boundHit || pipeline.pending > 0 ? pipeline.abandon() : { spans: 0, logRecords: 0 }
  pipeline.warnings.close()
  if (!boundHit && abandoned.spans + abandoned.logRecords === 0) return
  const records = pipeline.logs === undefined ? '' : ` and ${abandoned.logRecords} log record(s)`
  const what =
    ending === 'exit'
      ? 'the flush when the process ran out of work did not finish ' +
        `(within shutdownTimeoutMillis, ${timeoutMillis} ms, while anything kept the process alive)`
      : ending === 'interrupted'
        ? 'shutdown was cut short by a second signal'
        : `shutdown did not finish within shutdownTimeoutMillis (${timeoutMillis} ms)`
  // The bound passed with no span or record left: the time went elsewhere (the metrics' last
  // export, whose loss FOK_WARN_METRICS_EXPORT_FAILED reports, or the application's close).
  const lost =
    abandoned.spans + abandoned.logRecords === 0
      ? `no span${pipeline.logs === undefined ? '' : ' or log record'} was left unexported` +
        (pipeline.metrics === undefined ? '' : '; metrics not exported in time are in their own warning') +
        '.'
      : `${abandoned.spans} span(s)${records} could not be exported and are counted as failed` +
        (reason === undefined ? '.' : ` (${reason}).`)
  warnings.warn('FOK_WARN_SHUTDOWN_ABANDONED', `${what}: ${lost}`, { once: false })
}
