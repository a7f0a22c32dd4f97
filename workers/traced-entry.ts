/**
 * The module Piscina loads when a task comes from runInWorker. It loads the target module (the
 * pool's or the task's `filename`) and export (`name`) the way Piscina would, and runs it traced,
 * so existing worker modules need no change. Exports wrapped in tracedTask are recognised and run
 * once, not twice.
 */
import { pathToFileURL } from 'node:url'
import { isEnvelope, type TaskTarget } from './messages.js'
import { TASK_FUNCTION } from './task.js'
import { runTracedTask } from './worker-runtime.js'

type TaskFunction = ((task: unknown) => unknown) & { [TASK_FUNCTION]?: (task: unknown) => unknown }

const handlers = new Map<string, TaskFunction>()

async function loadHandler (target: TaskTarget): Promise<TaskFunction> {
  const key = `${target.filename}#${target.name}`
  const cached = handlers.get(key)
  if (cached !== undefined) return cached
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
  handlers.set(key, handler as TaskFunction)
  return handler as TaskFunction
}

export default async function fastifyOtelKitTaskEntry (message: unknown): Promise<unknown> {
  if (!isEnvelope(message)) throw new TypeError('fastify-otel-kit: this worker entry only runs tasks sent by runInWorker')
  const handler = await loadHandler(message.target)
  return await runTracedTask(message, handler[TASK_FUNCTION] ?? handler)
}
