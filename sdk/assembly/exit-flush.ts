import { reportDiagnosticRepeats } from '../diagnostics/diag-logger.js'
import type { Pipeline } from './pipeline.js'

/**
 * The `beforeExit` listener for a process that simply runs out of work (a script, a job: no close,
 * no signal): it flushes what is queued, bounded by `timeoutMillis`, and calls `giveUp` (which
 * counts what is left as failed and says so) at the bound, or when the loop runs dry again while
 * the flush is still pending: nothing is left to finish it then (the exporter waits on an unref'd
 * retry timer, or holds no handle), and the process exits next.
 *
 * The bound's timer keeps the process alive until the flush settles or the bound passes, so that
 * a collector briefly down is retried within the bound, as on close and on signals; it is cleared
 * as soon as the flush settles, so a healthy exit is not delayed.
 */
export function exitFlushListener (pipeline: Pipeline, timeoutMillis: number, giveUp: () => void): () => void {
  let flushing = false
  return () => {
    if (flushing) {
      giveUp()
      return
    }
    if (pipeline.pending === 0) {
      reportWindows(pipeline)
      return
    }
    flushing = true
    const timer = setTimeout(giveUp, timeoutMillis)
    void pipeline.drain().then(() => {
      clearTimeout(timer)
      flushing = false
      reportWindows(pipeline)
    })
  }
}

/**
 * What the warning windows hold is reported now: their timers are unref'd and would not outlive
 * the process. A window closed here opens again with the next occurrence, should the process go on.
 */
function reportWindows (pipeline: Pipeline): void {
  pipeline.warnings.close()
  reportDiagnosticRepeats()
}
