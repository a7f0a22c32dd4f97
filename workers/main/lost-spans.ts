import { warningsFor, type Warnings } from '../../sdk/diagnostics/warnings.js'
import { currentSpanSink, workerSpanLosses, type WorkerSpanLosses } from '../../sdk/traces/span-sink.js'

/** Why spans could not come home from a worker thread. */
export type LossReason = 'stopped' | 'aborted' | 'exited'

const EXPLANATIONS: Record<LossReason, (exitCode: number) => string> = {
  stopped: () =>
    'the pool stopped the worker (pool.destroy(), pool.close() or idleTimeout) while it held spans that were ' +
    'still open, or had ended after their task replied and were waiting for its next reply',
  aborted: () => 'a task was aborted, and Piscina terminates the worker that runs an aborted task',
  exited: (code) => `the worker exited on its own (process.exit() or an uncaught error; exit code ${code})`
}

/** Used when the plugin gave no channel (an SDK of the application's own): process warnings or diag. */
let fallbackWarnings: Warnings | undefined
/** Reasons already warned about, per pipeline: each once, later losses are counted silently. */
const warned = new WeakMap<WorkerSpanLosses, Set<LossReason>>()

/**
 * Counts spans that a stopped worker still held against the current pipeline (none: nothing
 * would have been exported anyway) and warns once per reason.
 */
export function countLostSpans (count: number, reason: LossReason, exitCode: number): void {
  const sink = currentSpanSink()
  if (sink === undefined || count <= 0) return
  const losses = workerSpanLosses(sink.processor)
  losses.total += count
  losses.byReason[reason] = (losses.byReason[reason] ?? 0) + count
  let reasons = warned.get(losses)
  if (reasons === undefined) warned.set(losses, (reasons = new Set()))
  if (reasons.has(reason)) return
  reasons.add(reason)
  const warnings = sink.warnings ?? (fallbackWarnings ??= warningsFor(undefined))
  warnings.warn(
    'FOK_WARN_WORKER_SPANS_LOST',
    `${count} span(s) made in a worker thread could not come home: ${EXPLANATIONS[reason](exitCode)}. ` +
      'They are counted (lostWorkerSpans()); further losses for this reason are counted without another warning.',
    { once: false }
  )
}

export interface LostWorkerSpans {
  /** Every span lost, whatever the reason. */
  total: number
  /** The pool stopped the worker while it held spans (pool.destroy(), pool.close(), idleTimeout). */
  stopped: number
  /** A task was aborted (Piscina terminates its worker). */
  aborted: number
  /** The worker exited on its own (process.exit(), an uncaught error). */
  exited: number
}

/**
 * Spans made in worker threads that could not come home to the current pipeline (the plugin's,
 * or the SDK the application registered), by reason. Zero when there is no pipeline.
 */
export function lostWorkerSpans (): LostWorkerSpans {
  const sink = currentSpanSink()
  if (sink === undefined) return { total: 0, stopped: 0, aborted: 0, exited: 0 }
  const { total, byReason } = workerSpanLosses(sink.processor)
  return { total, stopped: byReason.stopped ?? 0, aborted: byReason.aborted ?? 0, exited: byReason.exited ?? 0 }
}
