import type { IMetricReader, PushMetricExporter, ViewOptions } from '@opentelemetry/sdk-metrics'
import { invalidOption } from '../errors.js'
import { resolveDuration } from './durations.js'
import { type Parsed, parseEnum, parseList, readEnv } from './env-values.js'
import type {
  ExporterKind,
  MetricExporterName,
  ResolvedMetricsConfig,
  SdkOptions,
  Setting,
  TemporalityPreference
} from './options.js'
import { otlpOptions, resolveOtlpSettings } from './resolve-exporter.js'
import { fromOption, Resolver } from './resolver.js'
import {
  isPlainObject,
  optionalBoolean,
  optionalEnum,
  optionalPlainObject,
  optionalString,
  rejectUnknownKeys
} from './validate.js'

const METRICS_KEYS = [
  'exporter',
  'readers',
  'views',
  'exportIntervalMillis',
  'exportTimeoutMillis',
  'temporality',
  'prometheus',
  'runtime'
]
const EXPORTER_NAMES: readonly MetricExporterName[] = ['otlp', 'prometheus', 'console']
const TEMPORALITIES: readonly TemporalityPreference[] = ['cumulative', 'delta', 'lowmemory']

/** OTEL_METRIC_EXPORT_INTERVAL's default in the specification. */
export const DEFAULT_METRIC_EXPORT_INTERVAL_MILLIS = 60000
/** OTEL_METRIC_EXPORT_TIMEOUT's default in the specification. */
export const DEFAULT_METRIC_EXPORT_TIMEOUT_MILLIS = 30000
/** OTEL_EXPORTER_PROMETHEUS_HOST's default in the specification (loopback only: 0.0.0.0 to be scraped from outside). */
export const DEFAULT_PROMETHEUS_HOST = 'localhost'
/** OTEL_EXPORTER_PROMETHEUS_PORT's default in the specification. */
export const DEFAULT_PROMETHEUS_PORT = 9464

/** What the metrics assembly needs besides the public settings. */
export interface MetricsResolution {
  config: ResolvedMetricsConfig
  /** The OTLP exporter's headers with their real values. */
  headers: Record<string, string>
  exporterInstance: PushMetricExporter | undefined
  readers: IMetricReader[]
  views: ViewOptions[]
}

/**
 * Metrics: on by default, as the specification (OTEL_METRICS_EXPORTER defaults to `otlp`) and
 * NodeSDK have it; docs/internals/decisions.md says why and what it costs. OTEL_METRICS_EXPORTER
 * (a list: `otlp,prometheus`) overrides option `metrics.exporter`; the OTLP settings are the spans'
 * (option `exporter`) with `exporter.metrics` over them and OTEL_EXPORTER_OTLP_METRICS_* first.
 * The application's own readers (`metrics.readers`) are kept whatever the exporter, as span
 * processors are: `none` only turns the package's exporter off.
 *
 * Notices about the environment are only given when metrics are on.
 */
export function resolveMetrics (r: Resolver, options: SdkOptions): MetricsResolution {
  const raw = (options as { metrics?: unknown }).metrics
  if (raw !== undefined && typeof raw !== 'boolean' && !isPlainObject(raw)) {
    throw invalidOption('metrics', 'true, false or an object of metrics settings', raw)
  }
  const settings: Record<string, unknown> = isPlainObject(raw) ? raw : {}
  rejectUnknownKeys('metrics', settings, METRICS_KEYS)
  const option = exporterOption(settings.exporter)
  const readers = readerInstances(settings.readers)
  const views = viewOptions(settings.views)
  const prometheusOptions = optionalPlainObject('metrics.prometheus', settings.prometheus) ?? {}
  rejectUnknownKeys('metrics.prometheus', prometheusOptions, ['host', 'port'])

  // The notices of the environment's metrics settings count only when metrics are on.
  const own = new Resolver(r.env, r.file)
  const switchedOff = raw === false
  const variable = readEnv(r.env, 'OTEL_METRICS_EXPORTER')
  let hit: { name: string; value: Array<MetricExporterName | 'custom'> } | undefined
  if (variable !== undefined) {
    const parsed = parseExporterList(variable)
    if (parsed.ok) {
      hit = { name: 'OTEL_METRICS_EXPORTER', value: parsed.value.names }
      if (parsed.value.overruled.length > 0) {
        // Said even though metrics end up off (the other notices are given only when they are on).
        r.warnings.push(
          `OTEL_METRICS_EXPORTER names none beside ${parsed.value.overruled.map((n) => JSON.stringify(n)).join(', ')}` +
            ': ' +
            'none wins (as in NodeSDK), so no metrics are exported; leave none out to export them.'
        )
      }
      if (parsed.value.unknown.length > 0) {
        own.warnings.push(
          `OTEL_METRICS_EXPORTER names ${parsed.value.unknown.map((n) => JSON.stringify(n)).join(', ')}, ` +
            `which ${parsed.value.unknown.length === 1 ? 'is not a metrics exporter' : 'are not metrics exporters'} ` +
            `of this package (${EXPORTER_NAMES.join(', ')}, none); skipped.`
        )
      }
    } else {
      own.warnings.push(
        `OTEL_METRICS_EXPORTER=${JSON.stringify(variable)} is invalid (${parsed.reason}); ignoring it and using ` +
          `${describeExporters(option ?? ['otlp'])} ` +
          `from ${option === undefined ? 'the default' : 'the plugin options'}.`
      )
    }
  }
  // An exporter the options chose that the variable overrides is said even when that turns
  // metrics off (OTEL_METRICS_EXPORTER=none over an exporter instance): the code asked for it.
  const exporters = switchedOff
    ? { value: [], source: 'options' as const }
    : (option === undefined ? own : r).decide<Array<MetricExporterName | 'custom'>>(
        'metrics.exporter',
        option,
        hit,
        ['otlp'],
        describeExporters
      )
  // Off with `metrics: false`, or when nothing is left to read the metrics (no exporter, no reader).
  const on = !switchedOff && (exporters.value.length > 0 || readers.length > 0)
  const enabled: Setting<boolean> =
    exporters.source === 'env'
      ? { value: on, source: 'env', env: exporters.env! }
      : { value: on, source: raw === undefined ? 'default' : 'options' }

  const otlpKind: Setting<ExporterKind> = {
    ...exporters,
    value: enabled.value && exporters.value.includes('otlp') ? 'otlp' : 'none'
  }
  const otlp = resolveOtlpSettings(own, otlpOptions(options), 'METRICS', otlpKind)
  const exportIntervalMillis = resolveDuration(
    own,
    'metrics.exportIntervalMillis',
    settings.exportIntervalMillis,
    ['OTEL_METRIC_EXPORT_INTERVAL'],
    DEFAULT_METRIC_EXPORT_INTERVAL_MILLIS
  )
  let exportTimeoutMillis = resolveDuration(
    own,
    'metrics.exportTimeoutMillis',
    settings.exportTimeoutMillis,
    ['OTEL_METRIC_EXPORT_TIMEOUT'],
    DEFAULT_METRIC_EXPORT_TIMEOUT_MILLIS
  )
  if (exportTimeoutMillis.value > exportIntervalMillis.value) {
    // An export that may outlast the interval would overlap the next one: upstream's reader
    // refuses that when both are given, and clamps otherwise. Clamped here, and said when the
    // timeout was set; a default that does not fit a shorter interval is simply fitted to it (a
    // warning on every start about a value nobody wrote is noise).
    if (exportTimeoutMillis.source !== 'default') {
      own.warnings.push(
        `the metrics export timeout (${exportTimeoutMillis.value} ms, ` +
          `from ${where(exportTimeoutMillis, 'metrics.exportTimeoutMillis')}) is longer than the export ` +
          `interval (${exportIntervalMillis.value} ms): using ${exportIntervalMillis.value} ms.`
      )
    }
    exportTimeoutMillis = { ...exportTimeoutMillis, value: exportIntervalMillis.value }
  }
  const temporality = own.setting<TemporalityPreference>(
    'metrics.temporality',
    optionalEnum('metrics.temporality', settings.temporality, TEMPORALITIES),
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE'],
    (v) => parseEnum(v, TEMPORALITIES),
    'cumulative',
    String
  )
  const host = own.setting<string>(
    'metrics.prometheus.host',
    optionalString('metrics.prometheus.host', prometheusOptions.host),
    ['OTEL_EXPORTER_PROMETHEUS_HOST'],
    (v) => ({ ok: true, value: v }),
    DEFAULT_PROMETHEUS_HOST,
    String
  )
  const port = own.setting<number>(
    'metrics.prometheus.port',
    optionalPort('metrics.prometheus.port', prometheusOptions.port),
    ['OTEL_EXPORTER_PROMETHEUS_PORT'],
    parsePort,
    DEFAULT_PROMETHEUS_PORT,
    String
  )
  const runtime = fromOption(optionalBoolean('metrics.runtime', settings.runtime), true)

  if (enabled.value) {
    // A shared variable's notice is the spans' too (the same override, a different path appended).
    for (const warning of own.warnings) r.notice(warning)
    for (const warning of own.codedWarnings) r.warn(warning)
  }
  return {
    config: {
      enabled,
      exporters,
      exporter: otlp.config,
      exportIntervalMillis,
      exportTimeoutMillis,
      temporality,
      prometheus: { host, port },
      runtime,
      readers: fromOption(readers.length === 0 ? undefined : readers.length, 0),
      views: fromOption(views.length === 0 ? undefined : views.length, 0)
    },
    headers: otlp.headers,
    exporterInstance: exporters.value.includes('custom') ? (settings.exporter as PushMetricExporter) : undefined,
    readers: enabled.value ? readers : [],
    views
  }
}

/** `otlp`, `otlp, prometheus`, `none`, `a PushMetricExporter`: for messages. */
function describeExporters (names: ReadonlyArray<MetricExporterName | 'custom'>): string {
  if (names.length === 0) return 'none'
  return names.map((n) => (n === 'custom' ? 'a PushMetricExporter' : n)).join(', ')
}

function where (setting: Setting<number>, key: string): string {
  return setting.source === 'env' ? setting.env! : setting.source === 'default' ? 'the default' : `option ${key}`
}

/**
 * OTEL_METRICS_EXPORTER: a list (the specification allows several: `otlp,prometheus`), each
 * reader built once; `none` anywhere means none, as in NodeSDK (the other names it overrules are
 * returned, to be warned about: a list that says both is a mistake someone should see). Names this
 * package does not know are skipped and named; a list of nothing but those is invalid.
 */
export function parseExporterList (
  raw: string
): Parsed<{ names: Array<MetricExporterName | 'custom'>; unknown: string[]; overruled: string[] }> {
  const names = [...new Set(parseList(raw))]
  if (names.includes('none')) {
    return { ok: true, value: { names: [], unknown: [], overruled: names.filter((n) => n !== 'none') } }
  }
  const known = names.filter((n): n is MetricExporterName => (EXPORTER_NAMES as readonly string[]).includes(n))
  const unknown = names.filter((n) => !(EXPORTER_NAMES as readonly string[]).includes(n))
  if (known.length === 0) return { ok: false, reason: `expected ${EXPORTER_NAMES.join(', ')} or none, comma-separated` }
  return { ok: true, value: { names: known, unknown, overruled: [] } }
}

function exporterOption (value: unknown): Array<MetricExporterName | 'custom'> | undefined {
  if (value === undefined) return undefined
  if (value === 'none') return []
  if (typeof value === 'string') {
    const name = optionalEnum('metrics.exporter', value, [...EXPORTER_NAMES, 'none'])!
    return [name as MetricExporterName]
  }
  if (Array.isArray(value)) {
    value.forEach((name, i) => optionalEnum(`metrics.exporter[${i}]`, name, EXPORTER_NAMES))
    return [...new Set(value as MetricExporterName[])]
  }
  if (isPushExporter(value)) return ['custom']
  throw invalidOption(
    'metrics.exporter',
    `${[...EXPORTER_NAMES, 'none'].map((n) => JSON.stringify(n)).join(', ')}, ` +
      'an array of those, or a PushMetricExporter instance',
    value
  )
}

function isPushExporter (value: unknown): value is PushMetricExporter {
  const candidate = value as Partial<PushMetricExporter> | null
  return (
    candidate !== null &&
    typeof candidate === 'object' &&
    typeof candidate.export === 'function' &&
    typeof candidate.shutdown === 'function' &&
    typeof candidate.forceFlush === 'function'
  )
}

function readerInstances (value: unknown): IMetricReader[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw invalidOption('metrics.readers', 'an array of MetricReader instances', value)
  value.forEach((reader, i) => {
    const candidate = reader as Partial<IMetricReader> | null
    if (
      candidate === null ||
      typeof candidate !== 'object' ||
      typeof candidate.setMetricProducer !== 'function' ||
      typeof candidate.collect !== 'function' ||
      typeof candidate.shutdown !== 'function'
    ) {
      throw invalidOption(
        `metrics.readers[${i}]`,
        'a MetricReader instance (new PeriodicExportingMetricReader(...), say)',
        reader
      )
    }
  })
  return [...value] as IMetricReader[]
}

function viewOptions (value: unknown): ViewOptions[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw invalidOption('metrics.views', 'an array of view options', value)
  const selectors = [
    'instrumentName',
    'instrumentType',
    'instrumentUnit',
    'meterName',
    'meterVersion',
    'meterSchemaUrl'
  ]
  value.forEach((view, i) => {
    if (!isPlainObject(view)) throw invalidOption(`metrics.views[${i}]`, 'an object of view options', view)
    // The SDK's rules, checked here so that a bad view is a coded error at registration.
    if (!selectors.some((key) => view[key] !== undefined && view[key] !== null)) {
      throw invalidOption(`metrics.views[${i}]`, `view options with a selector (${selectors.join(', ')})`, view)
    }
    const name = view.instrumentName
    if (view.name !== undefined && (typeof name !== 'string' || name.includes('*'))) {
      throw invalidOption(
        `metrics.views[${i}].name`,
        'a name only with an instrumentName that selects one instrument (no wildcard)',
        view.name
      )
    }
  })
  return [...value] as ViewOptions[]
}

function optionalPort (key: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw invalidOption(key, 'a port number from 1 to 65535', value)
  }
  return value
}

function parsePort (raw: string): Parsed<number> {
  if (!/^\d+$/.test(raw)) return { ok: false, reason: 'expected a port number from 1 to 65535' }
  const value = Number(raw)
  return value >= 1 && value <= 65535
    ? { ok: true, value }
    : { ok: false, reason: 'expected a port number from 1 to 65535' }
}
