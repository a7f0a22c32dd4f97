import type { Logger, LoggerProvider } from '@opentelemetry/api'
import { setGlobalLoggerProvider } from '../../context/api-builds.js'
import { logs } from '../../context/otel-api.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'

/**
 * Makes `provider` the Logs API's global LoggerProvider, so any library that logs through the API
 * lands in the same pipeline. Returns false when another one was registered first: the API keeps
 * that one, silently, and so does this package (it never replaces what the application set).
 */
export function registerLoggerProvider (provider: LoggerProvider): boolean {
  return setGlobalLoggerProvider(provider)
}

/** Removes the global LoggerProvider this package registered. */
export function unregisterLoggerProvider (): void {
  logs.disable()
}

/** A logger from the global LoggerProvider (the application's, when it owns the SDK). */
export function globalLogger (): Logger {
  return logs.getLogger(PACKAGE_NAME, PACKAGE_VERSION)
}
