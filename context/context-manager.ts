import type { Context, ContextManager } from '@opentelemetry/api'
import { apiGlobals } from './api-globals.js'
import { context } from './otel-api.js'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'

/**
 * The AsyncLocalStorage context manager, plus `enter` for explicit attach/detach (the seed's
 * Step 5 pattern). Scoped `with` stays the default everywhere; `enter` exists only for code that
 * cannot be written as a callback.
 */
export class KitContextManager extends AsyncLocalStorageContextManager {
  /** Makes `ctx` active for the rest of the current execution and what it schedules. */
  enter (ctx: Context): void {
    storageOf(this)?.enterWith(ctx)
  }
}

type Storage = { enterWith: (ctx: Context) => void }

/** The AsyncLocalStorage behind a stock or kit context manager (the SDK keeps it in a private field). */
function storageOf (manager: unknown): Storage | undefined {
  const storage = (manager as { _asyncLocalStorage?: Partial<Storage> } | undefined)?._asyncLocalStorage
  return typeof storage?.enterWith === 'function' ? storage as Storage : undefined
}

/** The globally registered context manager, if any. */
export function globalContextManager (): ContextManager | undefined {
  return apiGlobals().context
}

/**
 * Registers a KitContextManager unless one is registered already. Returns true if this call
 * registered it (the caller then owns unregistering it).
 */
export function ensureContextManager (): boolean {
  if (globalContextManager() !== undefined) return false
  return context.setGlobalContextManager(new KitContextManager().enable())
}

/**
 * Enters `ctx` on whatever context manager is registered. False when that is impossible: no
 * manager, or one that is not AsyncLocalStorage-based.
 */
export function enterContext (ctx: Context): boolean {
  const storage = storageOf(globalContextManager())
  if (storage === undefined) return false
  storage.enterWith(ctx)
  return true
}
