import type { Pipeline } from './pipeline.js'

/**
 * The `beforeExit` listener for a process that simply runs out of work (a script, a job: no close,
 * no signal): it flushes what is queued, bounded by `timeoutMillis`, and calls `giveUp` (which
 * counts what is left as failed and says so, once) at the bound; the loop running dry again while
 * the flush is still pending calls it too, since the process exits next.
 *
 * The warning windows' timers are unref'd and would not outlive the process: what they hold is
 * reported before it exits.
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
      pipeline.warnings.close()
      return
    }
    flushing = true
    const timer = setTimeout(giveUp, timeoutMillis)
    pipeline.drain().then(() => {
      clearTimeout(timer)
      flushing = false
      pipeline.warnings.close()
    })
  }
}
