import type { Instrumentation } from '@opentelemetry/instrumentation'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { leaveSuppressedCallsAlone } from './suppressed-calls.js'

export interface Loaded {
  instrumentations: Instrumentation[]
  /** Short names whose package is not installed. */
  missing: string[]
  /** Short names whose package loaded but exports no instrumentation class. */
  unusable: string[]
}

/**
 * Loads `@opentelemetry/instrumentation-<name>` for each short name and makes one instance with the
 * configuration `configFor` gives it (undefined: its defaults); client instrumentations then leave
 * calls made with tracing suppressed alone (suppressed-calls.ts). The application's own
 * installation is preferred (its version matches the modules it patches); this package's copy
 * serves http and undici, which it depends on.
 */
export function loadInstrumentations (
  names: readonly string[],
  applicationDirectory: string = process.cwd(),
  configFor: (name: string) => Record<string, unknown> | undefined = () => undefined
): Loaded {
  const fromApplication = createRequire(join(applicationDirectory, 'package.json'))
  const fromHere = createRequire(__filename)
  const loaded: Loaded = { instrumentations: [], missing: [], unusable: [] }
  for (const name of names) {
    const pkg = `@opentelemetry/instrumentation-${name}`
    const exports = requireFirst([fromApplication, fromHere], pkg)
    if (exports === undefined) {
      loaded.missing.push(name)
      continue
    }
    const Class = instrumentationClass(exports)
    if (Class === undefined) {
      loaded.unusable.push(name)
      continue
    }
    const instrumentation = new Class(configFor(name))
    leaveSuppressedCallsAlone(instrumentation)
    loaded.instrumentations.push(instrumentation)
  }
  return loaded
}

function requireFirst (requires: NodeRequire[], pkg: string): Record<string, unknown> | undefined {
  for (const load of requires) {
    try {
      return load(pkg) as Record<string, unknown>
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error
    }
  }
  return undefined
}

type InstrumentationClass = new (config?: Record<string, unknown>) => Instrumentation

/** The package's exported class named `...Instrumentation` (HttpInstrumentation, PgInstrumentation...). */
function instrumentationClass (exports: Record<string, unknown>): InstrumentationClass | undefined {
  for (const [name, value] of Object.entries(exports)) {
    if (
      typeof value === 'function' &&
      name.endsWith('Instrumentation') &&
      typeof (value.prototype as { enable?: unknown })?.enable === 'function'
    ) {
      return value as InstrumentationClass
    }
  }
  return undefined
}
