import { basename, extname } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Which export of which module runs a task (Piscina's `filename` and `name`), named in Piscina's
 * own `name` field of the traced entry module: `fastify-otel-kit:["/abs/file.mjs","render"]`.
 *
 * Piscina resolves a handler as `exports[name]` of `filename` once per worker and caches it, and
 * sends `filename` and `name` with every task anyway. Naming the target there (instead of in the
 * envelope) makes each target one cached handler in the worker with no lookup per task, and lets
 * a traced pool name its default target in its own options, so its tasks carry nothing extra.
 */
export const TARGET_PREFIX = 'fastify-otel-kit:'

export interface TaskTarget {
  /** A path (a `file:` URL is converted once, as Piscina would for each task). */
  filename: string
  name: string
}

export function targetKey (target: TaskTarget): string {
  return `${TARGET_PREFIX}${JSON.stringify([target.filename, target.name])}`
}

/** Undefined for anything that is not a key made by targetKey. */
export function parseTargetKey (key: string): TaskTarget | undefined {
  if (!key.startsWith(TARGET_PREFIX)) return undefined
  try {
    const parsed: unknown = JSON.parse(key.slice(TARGET_PREFIX.length))
    if (Array.isArray(parsed) && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      return { filename: parsed[0], name: parsed[1] }
    }
  } catch {}
  return undefined
}

export function targetPath (filename: string): string {
  return filename.startsWith('file:') ? fileURLToPath(filename) : filename
}

/** `resize` for a named export, `receipt-worker` for the default export of receipt-worker.mjs. */
export function targetLabel (target: TaskTarget): string {
  if (target.name !== 'default') return target.name
  const file = basename(target.filename)
  return file.slice(0, file.length - extname(file).length)
}
