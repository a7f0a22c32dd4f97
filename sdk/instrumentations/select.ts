import { parseList, readEnv } from '../config/env-values.js'

/** What the preload entry enables when OTEL_NODE_ENABLED_INSTRUMENTATIONS is not set. */
export const DEFAULT_INSTRUMENTATIONS: readonly string[] = Object.freeze(['http', 'undici'])

const SHORT_NAME = /^[a-z0-9][a-z0-9._-]*$/

export interface Selection {
  /** Short names (the package name without `@opentelemetry/instrumentation-`), in order. */
  names: string[]
  /** Entries that cannot be package names, to be warned about. */
  invalid: string[]
}

/**
 * The instrumentations to enable, in the style of @opentelemetry/auto-instrumentations-node:
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS (short names, comma-separated) replaces the defaults;
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS removes names, and wins over the enabled list.
 */
export function selectInstrumentations (env: NodeJS.ProcessEnv): Selection {
  const enabled = readEnv(env, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS')
  const disabled = new Set(parseList(readEnv(env, 'OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? ''))
  const wanted = enabled === undefined ? [...DEFAULT_INSTRUMENTATIONS] : parseList(enabled)
  const invalid = [...wanted, ...disabled].filter((name) => !SHORT_NAME.test(name))
  const names = [...new Set(wanted)].filter((name) => SHORT_NAME.test(name) && !disabled.has(name))
  return { names, invalid }
}
