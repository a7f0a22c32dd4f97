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

/** Where a wrapped function keeps the user's function, for the traced entry to find. */
export const TASK_FUNCTION = Symbol.for('fastify-otel-kit.task-function')

export type TracedTaskFunction<T, R> = ((task: T) => Promise<R>) & { [TASK_FUNCTION]: (task: T) => R | Promise<R> }

/**
 * Wraps a Piscina task function. Given a task from runInWorker, it restores the caller's context
 * for the duration of the task, opens a task span (a child of the dispatch span), records a throw,
 * and sends the spans made during the task back with the result. Given a plain task (plain
 * `pool.run`), it simply runs the function.
 */
export function tracedTask<T, R> (fn: (task: T) => R | Promise<R>): TracedTaskFunction<T, R> {
  if (typeof fn !== 'function') throw invalidTaskFunction(fn)
  const label = fn.name !== '' ? fn.name : 'task'
  const wrapped = async function tracedTaskFunction (message: T): Promise<R> {
    if (isEnvelope(message)) return await (runTracedTask(message, fn as (task: unknown) => unknown, label) as R)
    return await fn(message)
  } as TracedTaskFunction<T, R>
  wrapped[TASK_FUNCTION] = fn
  return wrapped
}

export { withContext, captureContext, attach, detach } from '../../context/index.js'
export { withSpan } from '../../context/with-span.js'
