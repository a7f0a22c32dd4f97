import type { ContextManager } from '@opentelemetry/api'

/**
 * Where the API keeps its globals (major version 1). Reading the slots tells whether something is
 * registered without trying to register and failing noisily.
 */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1')

export interface GlobalSlots {
  trace?: unknown
  propagation?: unknown
  context?: ContextManager
  diag?: unknown
  metrics?: unknown
  logs?: unknown
}

/** Which API globals are registered right now, by anyone. */
export function apiGlobals (): GlobalSlots {
  return ((globalThis as Record<symbol, unknown>)[API_GLOBALS] ?? {}) as GlobalSlots
}
