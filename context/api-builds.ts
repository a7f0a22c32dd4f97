import type { LoggerProvider, TracerProvider } from '@opentelemetry/api'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { logs, trace } from './otel-api.js'

type Api = typeof import('@opentelemetry/api')

/**
 * `@opentelemetry/api` 1.10 ships a CommonJS and an ES module build, and each keeps its own
 * `trace` and `logs` singletons with their own proxy provider. The registered provider itself is
 * shared (one global slot), but a tracer or logger taken before registration belongs to the proxy
 * of the build it came from. This package is CommonJS: registering through its build alone leaves
 * every tracer an ES module took at import time (`const tracer = trace.getTracer('app')` at the top
 * of an .mjs file, the usual way) a no-op for the life of the process, silently.
 *
 * So registration goes through the ES build first, which points that build's proxy at the
 * provider, then hands the global slot over to the CommonJS build. Tracers of both builds then
 * reach the provider, and later `getTracer` calls of either find it in the shared slot.
 */
function esModuleBuild (): Api | undefined {
  try {
    const load = createRequire(__filename)
    const commonJsEntry = load.resolve('@opentelemetry/api')
    // Loading it is cheap, and the same instance an `import` gets (one module cache).
    const esm = load(join(dirname(commonJsEntry), 'index.mjs')) as Api
    return esm.trace === trace ? undefined : esm
  } catch {
    // An API build without a separate ES module build: nothing to reach.
    return undefined
  }
}

/** `trace.setGlobalTracerProvider`, reaching the proxies of both API builds. */
export function setGlobalTracerProvider (provider: TracerProvider): boolean {
  const esm = esModuleBuild()
  if (esm !== undefined && esm.trace.setGlobalTracerProvider(provider)) esm.trace.disable()
  return trace.setGlobalTracerProvider(provider)
}

/** `logs.setGlobalLoggerProvider`, reaching the proxies of both API builds. */
export function setGlobalLoggerProvider (provider: LoggerProvider): boolean {
  const esm = esModuleBuild()
  if (esm !== undefined && esm.logs.setGlobalLoggerProvider(provider)) esm.logs.disable()
  return logs.setGlobalLoggerProvider(provider)
}
