import type { ConfigResolution } from '../config/resolve-config.js'

/**
 * The SDK options a registration passed that the process's SDK, set up by an earlier registration,
 * does not have: OpenTelemetry's providers are global, so every registration in a process shares
 * the first one's SDK, and a second `exporter` or `sampler` would otherwise be dropped without a
 * word (a test suite's second app with its own in-memory exporter received nothing).
 *
 * Named by the top-level options the caller wrote (`exporter`, not `logs.exporter.endpoint`).
 * An option counts when a setting it resolves to came from the options and differs from the
 * shared one (key order aside), or when it gives another instance; header values are compared,
 * never shown. `logs` on or off is each registration's own (its log lines), so not compared.
 */
export function optionsDifferingFromShared (
  options: object | undefined,
  own: ConfigResolution,
  shared: ConfigResolution
): string[] {
  const written = (options ?? {}) as Record<string, unknown>
  return Object.keys(written).filter((key) => {
    // `logs` and `metrics` are compared by what was written under them: their exporters' OTLP
    // settings come from the `exporter` option too, which is named for itself.
    const parts =
      key === 'logs' ? logsParts(written.logs) : key === 'metrics' ? metricsParts(written.metrics) : OPTION_PARTS[key]
    return parts?.some((part) => part(own, shared)) === true
  })
}

type Part = (own: ConfigResolution, shared: ConfigResolution) => boolean

/** A resolved group or setting, at `path` of the config, that this registration's options set otherwise. */
const settings =
  (path: string): Part =>
    (own, shared) =>
      settingsDiffer(at(own.config, path), at(shared.config, path))

/** An instance (or list of instances) given that is not the shared one. */
const instance =
  (pick: (r: ConfigResolution) => unknown): Part =>
    (own, shared) => {
      const mine = pick(own)
      const theirs = pick(shared)
      if (Array.isArray(mine)) {
        const list = theirs as unknown[]
        return mine.length > 0 && (mine.length !== list.length || mine.some((item, i) => item !== list[i]))
      }
      return mine !== undefined && mine !== theirs
    }

/** Headers with real values, compared when the options set them. */
const headers =
  (path: string, pick: (r: ConfigResolution) => Record<string, string>): Part =>
    (own, shared) =>
      setInOptions(at(own.config, path)) && stable(pick(own)) !== stable(pick(shared))

const OPTION_PARTS: Readonly<Record<string, readonly Part[]>> = {
  serviceName: [settings('serviceName')],
  serviceVersion: [settings('serviceVersion')],
  deploymentEnvironment: [settings('deploymentEnvironment')],
  resourceAttributes: [settings('resourceAttributes')],
  sampler: [settings('sampler'), instance((r) => r.samplerInstance)],
  samplingRatio: [settings('samplingRatio')],
  propagators: [settings('propagators')],
  propagator: [instance((r) => r.propagatorInstance)],
  attributeValueLengthLimit: [settings('attributeValueLengthLimit')],
  batch: [settings('batch')],
  spanProcessors: [instance((r) => r.spanProcessors)],
  exporter: [
    settings('exporter'),
    settings('logs.exporter'),
    settings('metrics.exporter'),
    instance((r) => r.exporterInstance),
    headers('exporter.headers', (r) => r.exporterHeaders),
    headers('logs.exporter.headers', (r) => r.logExporterHeaders),
    headers('metrics.exporter.headers', (r) => r.metricExporterHeaders)
  ],
}

/** What `logs: { ... }` set; `logs: true` or `false` is the registration's own. */
function logsParts (value: unknown): Part[] {
  if (value === null || typeof value !== 'object') return []
  return Object.keys(value).map((key) =>
    key === 'exporter'
      ? (own: ConfigResolution, shared: ConfigResolution) =>
          settings('logs.exporter.kind')(own, shared) || instance((r) => r.logExporterInstance)(own, shared)
      : settings(`logs.${key}`)
  )
}

/** What `metrics` set: `false` (metrics off), or the settings written under it. */
function metricsParts (value: unknown): Part[] {
  if (typeof value === 'boolean') return [settings('metrics.enabled')]
  if (value === null || typeof value !== 'object') return []
  return Object.keys(value).map((key) => {
    if (key === 'exporter') {
      return (own: ConfigResolution, shared: ConfigResolution) =>
        settings('metrics.exporters')(own, shared) || instance((r) => r.metricExporterInstance)(own, shared)
    }
    if (key === 'readers') return instance((r) => r.metricReaders)
    if (key === 'views') return instance((r) => r.metricViews)
    return settings(`metrics.${key}`)
  })
}

/** Whether any setting under `mine` came from the options with another value than under `theirs`. */
function settingsDiffer (mine: unknown, theirs: unknown): boolean {
  if (mine === null || typeof mine !== 'object') return false
  if ('source' in mine && 'value' in mine) {
    // Headers are shown redacted in the config: their real values are compared apart.
    const theirValue = (theirs as { value?: unknown } | undefined)?.value
    return mine.source === 'options' && stable(mine.value) !== stable(theirValue)
  }
  return Object.entries(mine).some(([part, value]) =>
    settingsDiffer(value, (theirs as Record<string, unknown> | undefined)?.[part])
  )
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

/** JSON with object keys sorted: the same headers or attributes in another order are the same. */
function stable (value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  )
}
