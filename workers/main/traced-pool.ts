import { createRequire } from 'node:module'
import { type PoolLike, runInWorker, type RunInWorkerOptions, UNTRACED_RUN } from './run-in-worker.js'

/**
 * Makes `pool.run` trace every task, exactly as runInWorker does, without touching the worker
 * module: existing worker files keep working as they are. Returns the same pool.
 */
export function traceWorkerPool<P extends PoolLike> (pool: P): P {
  const marked = pool as P & { [UNTRACED_RUN]?: PoolLike['run'] }
  if (marked[UNTRACED_RUN] !== undefined) return pool
  const untracedRun = pool.run.bind(pool)
  Object.defineProperty(pool, UNTRACED_RUN, { value: untracedRun, enumerable: false })
  ;(pool as { run: PoolLike['run'] }).run = (task: unknown, options?: RunInWorkerOptions) => runInWorker(pool, task, options)
  return pool
}

/**
 * `new Piscina(options)` with every `run` traced. Takes Piscina's options unchanged (filename,
 * maxThreads, idleTimeout, atomics...). Needs the `piscina` package.
 */
export function createTracedPool<P extends PoolLike = PoolLike> (options: Record<string, unknown>): P {
  const { Piscina } = createRequire(__filename)('piscina') as { Piscina: new (options: Record<string, unknown>) => P }
  return traceWorkerPool(new Piscina(options))
}
