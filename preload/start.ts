import { isMainThread } from 'node:worker_threads'
import { reportConfigWarnings } from '../sdk/assembly/config-notices.js'
import { acquireSdk } from '../sdk/assembly/registration.js'
import { ignoredVariablesWarning } from '../sdk/config/env-inventory.js'
import { resolveSdkConfig } from '../sdk/config/resolve-config.js'
import { NO_SERVICE_NAME_WARNING } from '../sdk/config/resolve-resource.js'
import { warningsFor } from '../sdk/diagnostics/warnings.js'
import { enableInstrumentations } from '../sdk/instrumentations/enable.js'
import { instrumentationConfig } from '../sdk/instrumentations/configure.js'
import { loadInstrumentations } from '../sdk/instrumentations/load.js'
import { patchedModules } from '../sdk/instrumentations/loaded-early.js'
import { selectInstrumentations } from '../sdk/instrumentations/select.js'
import { flushOnSignals } from '../sdk/lifecycle/signals.js'

/** Set once per process: `--require` and `--import` may both name the preload. */
const STARTED = Symbol.for('fastify-otel-kit.preload-started')

/**
 * Sets OpenTelemetry up before the application loads (`early`: the watched modules that were
 * loaded before the entry ran, checked before it loaded anything itself), from the environment only (the same
 * resolution the plugin uses, with no options): the SDK, registered globally, and the
 * instrumentations (http and undici unless OTEL_NODE_ENABLED_INSTRUMENTATIONS says otherwise). The
 * plugin registered later finds this SDK and uses it. Worker threads are left alone: a preload in
 * NODE_OPTIONS runs in every worker too, and the worker side of this package has its own setup.
 * Returns the modules the enabled instrumentations patch (the ES module hook needs only those).
 */
export function startPreload (early: readonly string[]): string[] {
  const slot = globalThis as Record<symbol, boolean | undefined>
  if (!isMainThread || slot[STARTED] === true) return []
  slot[STARTED] = true
  const warnings = warningsFor(undefined)
  if (early.length > 0) {
    warnings.warn(
      'FOK_WARN_LATE_START',
      `${early.join(', ')} ${early.length === 1 ? 'was' : 'were'} loaded before fastify-otel-kit/register ran: ` +
        'put the preload first (`node --import fastify-otel-kit/register ...` before any other --import or --require).'
    )
  }
  const resolution = resolveSdkConfig({}, process.env)
  const { sdk, how } = acquireSdk(resolution, { log: undefined, warnings }, { assembledBy: 'preload' })
  if (how === 'assembled') {
    // The service name may still come from the plugin's options: said when the identity is settled.
    const warningsNow = resolution.warnings.filter((warning) => warning !== NO_SERVICE_NAME_WARNING)
    reportConfigWarnings({ ...resolution, warnings: warningsNow }, warnings)
    const ignored = ignoredVariablesWarning(resolution.ignoredEnv)
    if (ignored !== undefined) warnings.warn('FOK_WARN_ENV_IGNORED', ignored)
  }
  if (sdk.owner === 'disabled') return []
  const selection = selectInstrumentations(process.env)
  if (selection.invalid.length > 0) {
    warnings.warn(
      'FOK_WARN_CONFIG',
      'OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS name ' +
        `${selection.invalid.map((n) => JSON.stringify(n)).join(', ')}, which cannot be instrumentation names; skipped.`
    )
  }
  const settings = { sanitizeStatements: resolution.config.dbStatementSanitizer.value }
  const loaded = loadInstrumentations(selection.names, undefined, (name) => instrumentationConfig(name, settings))
  for (const name of loaded.missing) {
    warnings.warn(
      'FOK_WARN_INSTRUMENTATION_MISSING',
      `instrumentation "${name}" is not installed: \`npm install @opentelemetry/instrumentation-${name}\` ` +
        '(a version that depends on @opentelemetry/instrumentation ^0.301, the line this package is on), ' +
        'or remove it from OTEL_NODE_ENABLED_INSTRUMENTATIONS.'
    )
  }
  for (const name of loaded.unusable) {
    warnings.warn(
      'FOK_WARN_INSTRUMENTATION_MISSING',
      `@opentelemetry/instrumentation-${name} exports no instrumentation class; skipped.`
    )
  }
  enableInstrumentations(loaded.instrumentations, sdk.provider, warnings, {
    checkLoadedEarly: false,
    meterProvider: sdk.metrics?.provider
  })
  // Flushed at exit by the SDK's beforeExit; on SIGTERM/SIGINT together with any Fastify app. This
  // SDK is never released, so the signal handler's exit step (registered by acquireSdk) is what
  // counts the unexported as failed and says so when the bound passes.
  flushOnSignals(
    {
      flush: () => sdk.forceFlush(),
      timeoutMillis: sdk.config.shutdownTimeoutMillis.value,
      warn: (code, message) => {
        warnings.warn(code, message)
      }
    },
    ['SIGTERM', 'SIGINT']
  )
  return patchedModules(loaded.instrumentations)
}
