/**
 * The module Piscina loads when a task comes from runInWorker. It loads the target module (the
 * pool's or the task's `filename`) and export (`name`) the way Piscina would, and runs it traced,
 * so existing worker modules need no change. Exports wrapped in tracedTask are recognised and run
 * once, not twice.
 */
import { pathToFileURL } from 'node:url'
import { envelopeTarget, isEnvelope, type TaskTarget } from '../protocol/messages.js'
import { TASK_FUNCTION, type WrappedTaskFunction as TaskFunction } from './task-function.js'
import { runTracedTask } from './run-traced-task.js'

/** filename -> export name -> task function; looked up once per module and export. */
const handlers = new Map<string, Map<string, TaskFunction>>()

function cachedHandler (target: TaskTarget): TaskFunction | undefined {
  return handlers.get(target.filename)?.get(target.name)
}

async function loadHandler (target: TaskTarget): Promise<TaskFunction> {
  const url = target.filename.startsWith('file:') ? target.filename : pathToFileURL(target.filename).href
  // import() loads CommonJS and ES modules alike; a CommonJS module's exports are its default.
  const namespace = await import(url) as Record<string, unknown>
  const moduleDefault = namespace.default as Record<string, unknown> | undefined
  let handler: unknown
  // A CommonJS `module.exports = fn` and an ES `export default fn` both arrive as the default;
  // a transpiled `exports.default = fn` arrives one level down.
  if (target.name === 'default') handler = typeof moduleDefault === 'function' ? moduleDefault : moduleDefault?.default
  else handler = namespace[target.name] ?? moduleDefault?.[target.name]
  if (typeof handler !== 'function') throw new Error(`No handler function exported from ${target.filename}`)
  let byName = handlers.get(target.filename)
  if (byName === undefined) handlers.set(target.filename, byName = new Map())
  byName.set(target.name, handler as TaskFunction)
  return handler as TaskFunction
}

export default function fastifyOtelKitTaskEntry (message: unknown): unknown {
  if (!isEnvelope(message)) throw new TypeError('fastify-otel-kit: this worker entry only runs tasks sent by runInWorker')
  // Synchronous when the handler is cached: every await is a promise (and, with context
  // tracking on, async hook work) per task.
  const target = envelopeTarget(message)
  const handler = cachedHandler(target)
  if (handler !== undefined) return runTracedTask(message, handler[TASK_FUNCTION] ?? handler)
  return loadHandler(target).then((loaded) => runTracedTask(message, loaded[TASK_FUNCTION] ?? loaded))
}
