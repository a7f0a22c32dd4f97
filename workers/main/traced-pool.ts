import { createRequire } from 'node:module'
import { type PoolLike, runInWorker, type RunInWorkerOptions, UNTRACED_RUN } from './run-in-worker.js'
import { POOL_TARGET, poolTarget, TRACED_ENTRY_FILENAME } from './task-route.js'

/**
 * Makes `pool.run` trace every task, exactly as runInWorker does, without touching the worker
 * module: existing worker files keep working as they are. Returns the same pool.
 */
export function traceWorkerPool<P extends PoolLike> (pool: P): P {
  const marked = pool as P & { [UNTRACED_RUN]?: PoolLike['run'] }
  if (marked[UNTRACED_RUN] !== undefined) return pool
  const untracedRun = pool.run.bind(pool)
  Object.defineProperty(pool, UNTRACED_RUN, { value: untracedRun, enumerable: false })
  ;(pool as { run: PoolLike['run'] }).run = (task: unknown, options?: RunInWorkerOptions) =>
    runInWorker(pool, task, options)
  return pool
}

/**
 * `new Piscina(options)` with every `run` traced. Takes Piscina's options unchanged (filename,
 * name, maxThreads, idleTimeout, atomics...). Needs the `piscina` package.
 *
 * The pool's own filename is the package's traced entry, and your `filename` and `name` are its
 * default target: Piscina loads your module through the entry when a worker starts, and a task
 * for the default target carries no per-task filename or name (`pool.options.filename` shows the
 * entry). Tasks for other exports or modules name them per task, as with any pool.
 */
export function createTracedPool<P extends PoolLike = PoolLike> (options: Record<string, unknown>): P {
  const { Piscina } = createRequire(__filename)('piscina') as { Piscina: new (options: Record<string, unknown>) => P }
  const { filename, name } = options
  // Anything Piscina would refuse, or no filename: Piscina decides, tasks name their modules.
  if (
    typeof filename !== 'string' ||
    filename === '' ||
    (name !== undefined && name !== null && typeof name !== 'string')
  ) {
    return traceWorkerPool(new Piscina(options))
  }
  const target = poolTarget(filename, typeof name === 'string' ? name : 'default')
  const pool = new Piscina({ ...options, filename: TRACED_ENTRY_FILENAME, name: target.key })
  Object.defineProperty(pool, POOL_TARGET, { value: target, enumerable: false })
  return traceWorkerPool(pool)
}
