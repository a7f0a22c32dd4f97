import type { Worker } from 'node:worker_threads'
import { releaseHeldSlot, sharedHeldSpans } from '../protocol/held-spans.js'
import { countLostSpans, type LossReason } from './lost-spans.js'

/**
 * Made when this module loads, so that every worker started afterwards inherits it (see
 * protocol/held-spans.ts). A pool whose workers started earlier is not covered.
 */
const heldSpans = sharedHeldSpans()

/** What of a Piscina pool the watch uses; other pools are simply not watched. */
interface WatchablePool {
  on(event: 'workerCreate' | 'workerDestroy', listener: (worker: { id: number }) => void): unknown
  readonly threads: readonly Worker[]
}

const watchedPools = new WeakSet<object>()
const watchedWorkers = new WeakSet<Worker>()
/** Per pool, the abort signals of tasks in flight (a signal may serve several tasks). */
const signalsInFlight = new WeakMap<object, Map<AbortSignal, number>>()

/**
 * Watches a pool's workers so that spans a worker still holds when it stops are counted and
 * reported with the reason. Once per pool; costs nothing per task.
 */
export function watchPool (pool: object): void {
  if (watchedPools.has(pool)) return
  watchedPools.add(pool)
  const watchable = pool as Partial<WatchablePool>
  if (typeof watchable.on !== 'function' || !Array.isArray(watchable.threads)) return
  const piscina = watchable as WatchablePool
  /** Workers the pool itself is stopping, and why; a worker missing here exited on its own. */
  const stopping = new Map<number, LossReason>()
  /**
   * Workers that died of an uncaught error: Piscina answers the worker's `error` event by
   * destroying it (workerDestroy) before it exits, but the worker ended on its own.
   */
  const failed = new Set<number>()
  const watchWorker = (worker: Worker): void => {
    if (watchedWorkers.has(worker)) return
    watchedWorkers.add(worker)
    // Node sets threadId to -1 once the thread has stopped: keep it now.
    const threadId = worker.threadId
    if (threadId <= 0) return
    // Before Piscina's own listener, which (for a worker that exited on its own) is what emits
    // workerDestroy: an entry in `stopping` therefore means the pool stopped it first.
    worker.prependListener('error', () => {
      failed.add(threadId)
    })
    worker.prependListener('exit', (exitCode: number) => {
      const reason = failed.has(threadId) ? 'exited' : (stopping.get(threadId) ?? 'exited')
      stopping.delete(threadId)
      failed.delete(threadId)
      countLostSpans(releaseHeldSlot(heldSpans, threadId), reason, exitCode)
    })
  }
  for (const worker of piscina.threads) watchWorker(worker)
  piscina.on('workerCreate', ({ id }) => {
    const worker = piscina.threads.find((w) => w.threadId === id)
    if (worker !== undefined) watchWorker(worker)
  })
  piscina.on('workerDestroy', ({ id }) => {
    // Emitted while the pool removes the worker: synchronously inside the abort of a running
    // task, whose signal is then aborted and still in flight.
    if (id > 0) stopping.set(id, anyAborted(signalsInFlight.get(pool)) ? 'aborted' : 'stopped')
  })
}

function anyAborted (signals: Map<AbortSignal, number> | undefined): boolean {
  if (signals !== undefined) for (const signal of signals.keys()) if (signal.aborted) return true
  return false
}

/** Keeps `signal` in the pool's in-flight set until `task` settles; returns what `task` gives. */
export function trackSignal<T> (pool: object, signal: AbortSignal, task: Promise<T>): Promise<T> {
  let signals = signalsInFlight.get(pool)
  if (signals === undefined) signalsInFlight.set(pool, (signals = new Map()))
  signals.set(signal, (signals.get(signal) ?? 0) + 1)
  const done = (): void => {
    const left = (signals.get(signal) ?? 1) - 1
    if (left > 0) signals.set(signal, left)
    else signals.delete(signal)
  }
  return task.then(
    (value) => {
      done()
      return value
    },
    (error: unknown) => {
      done()
      throw error
    }
  )
}
