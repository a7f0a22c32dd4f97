import { join } from 'node:path'
import { targetKey, targetLabel, targetPath } from '../protocol/task-target.js'

/** The traced entry module (workers/worker/traced-entry.ts) Piscina loads for runInWorker's tasks. */
export const TRACED_ENTRY_FILENAME = join(__dirname, '..', 'worker', 'traced-entry.js')

/** How one task travels: Piscina's run options for the entry, and the name for its spans. */
export interface TaskRoute {
  /** Piscina's `filename` for this task; undefined: the pool's own (the entry, on a traced pool). */
  readonly filename: string | undefined
  /** Piscina's `name` for this task; undefined: the pool's own (a traced pool's default target). */
  readonly name: string | undefined
  readonly label: string
}

interface Routes {
  /** For any pool: the entry as a per-task filename. */
  readonly plain: TaskRoute
  /** For a traced pool, whose filename is the entry already. */
  readonly onTracedPool: TaskRoute
}

/** Set by createTracedPool: the user's target, with the route of the pool's own default task. */
export const POOL_TARGET = Symbol.for('fastify-otel-kit.pool-target')

export interface PoolTarget {
  /** The user's filename as given (a path or a `file:` URL) and export name. */
  readonly filename: string
  readonly name: string
  /** Piscina's `name` option of the pool: the default target's key. */
  readonly key: string
  readonly route: TaskRoute
}

export function poolTarget (filename: string, name: string): PoolTarget {
  const key = targetKey({ filename: targetPath(filename), name })
  return {
    filename,
    name,
    key,
    route: { filename: undefined, name: undefined, label: routesFor(filename, name).plain.label }
  }
}

// filename as given -> export name -> routes; a service has a handful of targets.
const known = new Map<string, Map<string, Routes>>()

function routesFor (filename: string, name: string): Routes {
  let byName = known.get(filename)
  if (byName === undefined) known.set(filename, (byName = new Map()))
  let routes = byName.get(name)
  if (routes === undefined) {
    const target = { filename: targetPath(filename), name }
    const key = targetKey(target)
    const label = targetLabel(target)
    routes = {
      plain: { filename: TRACED_ENTRY_FILENAME, name: key, label },
      onTracedPool: { filename: undefined, name: key, label }
    }
    byName.set(name, routes)
  }
  return routes
}

interface NamedOptions {
  filename?: unknown
  name?: unknown
}

/**
 * The route of a task, or undefined when Piscina itself would refuse it (no filename, a filename
 * or name that is not a string): the caller then leaves it to Piscina, so the refusal is Piscina's.
 */
export function routeTask (
  poolOptions: NamedOptions | undefined,
  tracedPool: PoolTarget | undefined,
  options: NamedOptions
): TaskRoute | undefined {
  if (tracedPool !== undefined) {
    if (
      (options.filename === undefined || options.filename === tracedPool.filename) &&
      (options.name === undefined || options.name === tracedPool.name)
    ) { return tracedPool.route }
    const filename = options.filename ?? tracedPool.filename
    const name = options.name ?? tracedPool.name
    return typeof filename === 'string' && filename !== '' && typeof name === 'string'
      ? routesFor(filename, name).onTracedPool
      : undefined
  }
  const filename = options.filename ?? poolOptions?.filename
  const name = options.name ?? poolOptions?.name ?? 'default'
  return typeof filename === 'string' && filename !== '' && typeof name === 'string'
    ? routesFor(filename, name).plain
    : undefined
}
