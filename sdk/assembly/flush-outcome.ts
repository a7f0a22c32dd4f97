import { flushIncomplete } from '../errors.js'
import { withTimeout } from '../lifecycle/with-timeout.js'

/**
 * What app.otel.forceFlush() tells its caller when a signal's flush did not finish within its
 * bound (the export's timeout, 30 s by default: a collector down and the export still retrying).
 * OpenTelemetry's TracerProvider answers that with an array of its processors' errors ("Span
 * processor did not completed within timeout period of 30000 ms"), which says neither what is left
 * nor why. The caller gets one error instead, per signal: how much is still queued or being sent,
 * and the last failure. An export that failed and settled is not a rejection: it is counted in
 * stats() and warned about, as it is outside a flush.
 */

/**
 * One signal's queue as the flush sees it: `pending` (items waiting or being exported now, the
 * queue itself has it) and `reason` (why what is left is left: the last failed attempt, or an
 * export still waiting).
 */
interface FlushedQueue {
  queue: { readonly pending: number }
  reason: () => string | undefined
}

export interface FlushTargets {
  /** The TracerProvider's flush, which it bounds (the package's queue, any processor of the application's). */
  spans: { flush: () => Promise<void> } & Partial<FlushedQueue>
  /** The log queue's flush, which has no bound of its own: bounded here by `timeoutMillis`. */
  logs?: { flush: () => Promise<void>; timeoutMillis: number } & FlushedQueue
  metrics?: { flush: () => Promise<void> }
}

/** Flushes every signal at once; rejects with FOK_ERR_FLUSH_INCOMPLETE naming what did not finish. */
export async function flushAll (targets: FlushTargets): Promise<void> {
  const [spans, logs, metrics] = await Promise.allSettled([
    targets.spans.flush(),
    targets.logs === undefined ? undefined : bounded(targets.logs.flush(), targets.logs.timeoutMillis),
    targets.metrics?.flush()
  ])
  const problems = [
    unfinished('spans', 'span', spans, targets.spans),
    targets.logs === undefined ? undefined : unfinished('log records', 'log record', logs, targets.logs),
    metrics.status === 'rejected' ? `metrics: ${describe(metrics.reason)}` : undefined
  ].filter((problem): problem is string => problem !== undefined)
  if (problems.length > 0) throw flushIncomplete(problems)
}

async function bounded (flush: Promise<void>, millis: number): Promise<void> {
  if (!(await withTimeout(flush, millis))) throw new Error(`not done within ${millis} ms`)
  await flush
}

function unfinished (
  signal: string,
  noun: string,
  outcome: PromiseSettledResult<unknown>,
  target: Partial<FlushedQueue>
): string | undefined {
  if (outcome.status !== 'rejected') return undefined
  const pending = target.queue?.pending ?? 0
  if (pending === 0) return `${signal}: ${describe(outcome.reason)}`
  const reason = target.reason?.()
  return `${signal}: ${pending} ${noun}${pending === 1 ? '' : 's'} still queued or being sent` +
    (reason === undefined ? '' : ` (${reason})`)
}

/** An error, or OpenTelemetry's array of them, as one line. */
function describe (reason: unknown): string {
  const errors = Array.isArray(reason) ? reason : [reason]
  return errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')
}
