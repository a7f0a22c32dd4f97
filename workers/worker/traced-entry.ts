/**
 * The module Piscina loads for tasks from runInWorker. Its exports answer any name made by
 * targetKey (protocol/task-target.ts): `exports['fastify-otel-kit:["/app/render.mjs","render"]']`
 * is a handler that loads that module's export the way Piscina would and runs it traced. So
 * existing worker modules need no change, Piscina caches one handler per target (no lookup per
 * task), and a traced pool names its default target in its own `name` option (no per-task
 * filename or name). Exports wrapped in tracedTask are recognised and run once, not twice.
 */
import { pathToFileURL } from 'node:url'
import { isEnvelope } from '../protocol/messages.js'
import { parseTargetKey, targetLabel, type TaskTarget } from '../protocol/task-target.js'
import { runTracedTask, type TaskFunction } from './run-traced-task.js'
import { TASK_FUNCTION } from './task-function.js'
import { registerWorkerMetrics } from './metric-relay.js'

// Before any worker module loads (handlerFor loads them): their instruments are made at load.
registerWorkerMetrics()

const handlers = new Map<string, TaskFunction>()

function handlerFor (key: string): TaskFunction | undefined {
  const known = handlers.get(key)
  if (known !== undefined) return known
  const target = parseTargetKey(key)
  if (target === undefined) return undefined
  const label = targetLabel(target)
  let loaded: TaskFunction | undefined
  let loading: Promise<TaskFunction> | undefined
  // A failed load is not kept: the next task tries again, as Piscina does for a plain pool.run.
  const load = (): Promise<TaskFunction> =>
    (loading ??= loadTarget(target).then(
      (fn) => (loaded = fn),
      (error: unknown) => {
        loading = undefined
        throw error
      }
    ))
  const run = (message: unknown, fn: TaskFunction): unknown =>
    isEnvelope(message) ? runTracedTask(message, fn, label) : fn(message)
  // Synchronous once loaded: every await is a promise (and, with context tracking on, async hook
  // work) per task.
  const handler = (message: unknown): unknown =>
    loaded !== undefined ? run(message, loaded) : load().then((fn) => run(message, fn))
  handlers.set(key, handler)
  // Start loading now: Piscina looks the pool's handler up when the worker starts.
  load().catch(() => {})
  return handler
}

/**
 * Piscina's own resolution of `name` in `filename` (piscina/dist/worker.js getHandler): require
 * first (CommonJS: the default is module.exports unless it is a transpiled ES module), then
 * import(); a missing function fails with Piscina's message.
 */
async function loadTarget ({ filename, name }: TaskTarget): Promise<TaskFunction> {
  let handler: unknown
  try {
    const required = require(filename) as Record<string, unknown> | undefined
    handler = await (required?.__esModule === true || name !== 'default' ? required?.[name] : required)
  } catch {}
  if (typeof handler !== 'function') {
    const namespace = (await import(pathToFileURL(filename).href)) as Record<string, unknown>
    handler = typeof namespace === 'function' ? namespace : await namespace[name]
  }
  if (typeof handler !== 'function') throw new Error(`No handler function exported from ${filename}`)
  const inner = (handler as { [TASK_FUNCTION]?: unknown })[TASK_FUNCTION]
  return (typeof inner === 'function' ? inner : handler) as TaskFunction
}

/**
 * A proxy, because the export names are the targets, known only when Piscina asks. Piscina
 * requires this file and, seeing `__esModule`, reads `exports[name]`.
 */
const entry: Record<string, unknown> = new Proxy(Object.create(null) as Record<string, unknown>, {
  get (_target, property) {
    if (property === '__esModule') return true
    return typeof property === 'string' ? handlerFor(property) : undefined
  }
})

export = entry
