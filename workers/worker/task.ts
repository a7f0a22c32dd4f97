/**
 * fastify-otel-kit/workers/task: the worker side, loaded inside worker threads (no Fastify).
 *
 * ```js
 * import { tracedTask } from 'fastify-otel-kit/workers/task'
 * export default tracedTask(async (order) => renderReceipt(order))
 * ```
 */
import { invalidTaskFunction } from '../../sdk/errors.js'
import { isEnvelope } from '../protocol/messages.js'
import { runTracedTask } from './run-traced-task.js'
import { TASK_FUNCTION, type WrappedTaskFunction } from './task-function.js'
import { registerWorkerMetrics } from './metric-relay.js'

// Before the worker module that imports this one runs: its instruments are made at load.
registerWorkerMetrics()

/**
 * Wraps a Piscina task function. Given a task from runInWorker, it restores the caller's context
 * for the duration of the task, opens a task span (a child of the dispatch span), records a throw,
 * and sends the spans made during the task back with the result. Given a plain task (plain
 * `pool.run`), it simply runs the function.
 */
export function tracedTask<T, R> (fn: (task: T) => R | Promise<R>): (task: T) => Promise<R> {
  if (typeof fn !== 'function') throw invalidTaskFunction(fn)
  const label = fn.name !== '' ? fn.name : 'task'
  const wrapped = async function tracedTaskFunction (message: T): Promise<R> {
    if (isEnvelope(message)) return await (runTracedTask(message, fn as (task: unknown) => unknown, label) as R)
    return await fn(message)
  }
  ;(wrapped as WrappedTaskFunction)[TASK_FUNCTION] = fn as (task: unknown) => unknown
  return wrapped
}
