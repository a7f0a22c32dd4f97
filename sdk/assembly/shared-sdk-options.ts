import type { ConfigResolution } from '../config/resolve-config.js'
import { PIPELINE_OPTION_KEYS } from '../config/resolve-config.js'

/**
 * The SDK options a registration set that the process's SDK, set up by an earlier registration,
 * does not have: OpenTelemetry's providers are global, so every registration in a process shares
 * the first one's SDK, and a second `exporter` or `sampler` would otherwise be dropped without a
 * word (a test suite's second app with its own in-memory exporter received nothing).
 *
 * Only what this registration's options set is named: a setting from the environment is the
 * same for both. Values are compared as resolved (an option equal to what is in force is no
 * difference), instances by identity; header values are compared, never shown.
 */
export function optionsDifferingFromShared (own: ConfigResolution, shared: ConfigResolution): string[] {
  const named: string[] = []
  const keys = [...PIPELINE_OPTION_KEYS, 'propagators', 'attributeValueLengthLimit', 'logs', 'metrics']
  const ownConfig = own.config as unknown as Record<string, unknown>
  const sharedConfig = shared.config as unknown as Record<string, unknown>
  for (const key of keys) collectDifferences(key, ownConfig[key], sharedConfig[key], named)

  const instances: Array<[string, unknown, unknown]> = [
    ['exporter', own.exporterInstance, shared.exporterInstance],
    ['sampler', own.samplerInstance, shared.samplerInstance],
    ['propagator', own.propagatorInstance, shared.propagatorInstance],
    ['logs.exporter', own.logExporterInstance, shared.logExporterInstance],
    ['metrics.exporter', own.metricExporterInstance, shared.metricExporterInstance]
  ]
  for (const [key, mine, theirs] of instances) {
    if (mine !== undefined && mine !== theirs) named.push(key)
  }
  const lists: Array<[string, readonly unknown[], readonly unknown[]]> = [
    ['spanProcessors', own.spanProcessors, shared.spanProcessors],
    ['metrics.readers', own.metricReaders, shared.metricReaders],
    ['metrics.views', own.metricViews, shared.metricViews]
  ]
  for (const [key, mine, theirs] of lists) {
    if (mine.length > 0 && (mine.length !== theirs.length || mine.some((item, i) => item !== theirs[i]))) {
      named.push(key)
    }
  }
  const headers: Array<[string, Record<string, string>, Record<string, string>]> = [
    ['exporter.headers', own.exporterHeaders, shared.exporterHeaders],
    ['logs.exporter.headers', own.logExporterHeaders, shared.logExporterHeaders],
    ['metrics.exporter.headers', own.metricExporterHeaders, shared.metricExporterHeaders]
  ]
  for (const [key, mine, theirs] of headers) {
    if (!named.includes(key) && setInOptions(at(own.config, key)) && !sameValue(mine, theirs)) named.push(key)
  }
  // One name per option: `exporter` (an instance) covers `exporter.endpoint`, and a signal's
  // setting that came from the shared `exporter` option is that option's.
  const sharedOptionKey = (key: string): string | undefined => /^(?:logs|metrics)\.(exporter\..+)$/.exec(key)?.[1]
  return [...new Set(named)].filter((key) => {
    const sharedKey = sharedOptionKey(key)
    const coveredByShared = sharedKey !== undefined && named.includes(sharedKey)
    return !coveredByShared && !named.some((other) => key.startsWith(`${other}.`))
  })
}

/** Each setting under `key` that this registration's options set to another value than the shared one. */
function collectDifferences (key: string, mine: unknown, theirs: unknown, named: string[]): void {
  if (mine === null || typeof mine !== 'object') return
  if ('source' in mine && 'value' in mine) {
    const theirValue = (theirs as { value?: unknown } | undefined)?.value
    // Headers are shown redacted in the config: their real values are compared apart.
    if (mine.source === 'options' && !key.endsWith('.headers') && !sameValue(mine.value, theirValue)) named.push(key)
    return
  }
  for (const [part, value] of Object.entries(mine)) {
    collectDifferences(`${key}.${part}`, value, (theirs as Record<string, unknown> | undefined)?.[part], named)
  }
}

function at (config: object, path: string): unknown {
  return path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], config)
}

/** Whether a setting, or any setting nested in a resolved group, came from the plugin options. */
export function setInOptions (value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false
  if ('source' in value && 'value' in value) return (value as { source: unknown }).source === 'options'
  return Object.values(value).some(setInOptions)
}

function sameValue (a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b)
}
