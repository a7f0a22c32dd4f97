import type { MeterProvider, TracerProvider } from '@opentelemetry/api'
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation'
import type { Warnings } from '../diagnostics/warnings.js'
import { loadedEarly, patchedModules } from './loaded-early.js'
import { meterProviderFor } from './meter-provider-for.js'

/**
 * Enables `instrumentations` on `provider` and says which modules they patch were loaded too early
 * to be seen (with the fix: the preload entry). The preload checks before it loads anything itself
 * and passes `checkLoadedEarly: false` (its own imports load http, which no application code holds
 * yet). With `meterProvider`, each instrumentation records its metrics there, except what the
 * plugin records itself (meter-provider-for.ts). Returns a function that disables them again.
 */
export function enableInstrumentations (
  instrumentations: Instrumentation[],
  provider: TracerProvider,
  warnings: Warnings,
  {
    checkLoadedEarly = true,
    meterProvider
  }: { checkLoadedEarly?: boolean; meterProvider?: MeterProvider | undefined } = {}
): () => void {
  if (instrumentations.length === 0) return () => {}
  const early = checkLoadedEarly ? loadedEarly(patchedModules(instrumentations)) : []
  if (early.length > 0) {
    warnings.warn(
      'FOK_WARN_LATE_START',
      `${early.join(', ')} ${early.length === 1 ? 'was' : 'were'} loaded before the instrumentations were enabled, ` +
        `so calls through ${early.length === 1 ? 'it' : 'them'} may not be traced. ` +
        'Start the process with `node --import fastify-otel-kit/register` ' +
        '(or `--require` for CommonJS), which sets OpenTelemetry up before the application loads.'
    )
  }
  const disable = registerInstrumentations({ instrumentations, tracerProvider: provider })
  // After registering, which gives every instrumentation the global MeterProvider.
  if (meterProvider !== undefined) {
    for (const instrumentation of instrumentations) {
      instrumentation.setMeterProvider(meterProviderFor(instrumentation.instrumentationName, meterProvider))
    }
  }
  return disable
}
