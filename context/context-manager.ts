import type { ContextManager } from '@opentelemetry/api'
import { apiGlobals } from './api-globals.js'
import { context } from './otel-api.js'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'

/** The globally registered context manager, if any. */
export function globalContextManager (): ContextManager | undefined {
  return apiGlobals().context
}

/**
 * Registers OpenTelemetry's AsyncLocalStorage context manager unless one is registered already.
 * Returns true if this call registered it (the caller then owns unregistering it). Since API 1.10
 * that manager also implements `attach`, which is all attach/detach need: no subclass of ours.
 */
export function ensureContextManager (): boolean {
  if (globalContextManager() !== undefined) return false
  return context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
}
