import { closest } from './validate.js'

/**
 * Every `OTEL_*` variable this package acts on, and the ones it knows but does not act on, in one
 * place: the warning about ignored variables, `doctor`, docs/reference/environment-variables.md and
 * a test that records what the resolution really reads are all held to these lists.
 */

/**
 * `sdk`: a setting of the SDK, ignored when a configuration file is in use (the file replaces
 * them, as the specification says). `process`: about the process rather than the SDK (which file,
 * which instrumentations the preload loads), honoured with a file too.
 */
export type VariableScope = 'sdk' | 'process'

const OTLP_SUFFIXES = [
  'ENDPOINT',
  'HEADERS',
  'TIMEOUT',
  'COMPRESSION',
  'INSECURE',
  'CERTIFICATE',
  'CLIENT_KEY',
  'CLIENT_CERTIFICATE',
  'PROTOCOL'
]
const otlp = (signal: string): string[] =>
  OTLP_SUFFIXES.map((suffix) => `OTEL_EXPORTER_OTLP_${signal === '' ? '' : `${signal}_`}${suffix}`)

const SDK_VARIABLES: readonly string[] = [
  'OTEL_SDK_DISABLED',
  'OTEL_LOG_LEVEL',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_NODE_RESOURCE_DETECTORS',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_PROPAGATORS',
  'OTEL_TRACES_EXPORTER',
  'OTEL_LOGS_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  ...otlp(''),
  ...otlp('TRACES'),
  ...otlp('LOGS'),
  ...otlp('METRICS'),
  'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_METRIC_EXPORT_TIMEOUT',
  'OTEL_EXPORTER_PROMETHEUS_HOST',
  'OTEL_EXPORTER_PROMETHEUS_PORT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BLRP_MAX_QUEUE_SIZE',
  'OTEL_BLRP_SCHEDULE_DELAY',
  'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BLRP_EXPORT_TIMEOUT',
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_LINK_COUNT_LIMIT',
  'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT',
  'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT',
  'OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT',
  // What the instrumentations record of a database statement: with a configuration file it is not
  // read, and statements stay sanitized (the safe side).
  'OTEL_INSTRUMENTATION_COMMON_DB_STATEMENT_SANITIZER_ENABLED'
]

const PROCESS_VARIABLES: readonly string[] = [
  'OTEL_CONFIG_FILE',
  // The specification's former name, still listed there (deprecated): OTEL_CONFIG_FILE wins.
  'OTEL_EXPERIMENTAL_CONFIG_FILE',
  'OTEL_NODE_ENABLED_INSTRUMENTATIONS',
  'OTEL_NODE_DISABLED_INSTRUMENTATIONS',
  // The HTTP methods the request spans and metrics know (the rest are _OTHER); instrumentation-http
  // reads it too, so that both agree.
  'OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS',
  // Read by the instrumentations the preload enables (instrumentation-http, -undici), not by us.
  'OTEL_SEMCONV_STABILITY_OPT_IN'
]

/** Every variable the package acts on, with its scope. */
export const ENV_VARIABLES: ReadonlyMap<string, VariableScope> = new Map([
  ...SDK_VARIABLES.map((name): [string, VariableScope] => [name, 'sdk']),
  ...PROCESS_VARIABLES.map((name): [string, VariableScope] => [name, 'process'])
])

/** The variables the instrumentations read themselves: the package only has to let them through. */
export const READ_BY_INSTRUMENTATIONS: readonly string[] = ['OTEL_SEMCONV_STABILITY_OPT_IN']

const NO_EXEMPLARS = 'exemplars are not recorded by this package'
/** Why an exponential histogram asked for by the environment or the configuration file is not made. */
export const EXPLICIT_HISTOGRAMS =
  'histograms are explicit-bucket; an exponential one takes a view (option metrics.views)'
const ZIPKIN =
  'Zipkin export is not supported: send OTLP (Zipkin and most backends take it, or a Collector forwards it)'

/** Variables of the specification (or of OpenTelemetry JS) that this package knows and does not act on. */
export const ENV_NOT_ACTED_ON: ReadonlyMap<string, string> = new Map([
  ['OTEL_METRICS_EXEMPLAR_FILTER', NO_EXEMPLARS],
  ['OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION', EXPLICIT_HISTOGRAMS],
  [
    'OTEL_NODE_EXPERIMENTAL_SDK_METRICS',
    "not needed: the SDK's health metrics (otel.sdk.*) are exported whenever metrics are"
  ],
  ['OTEL_EXPORTER_ZIPKIN_ENDPOINT', ZIPKIN],
  ['OTEL_EXPORTER_ZIPKIN_TIMEOUT', ZIPKIN]
])

/** Families of variables known and not acted on, by prefix (the docs list them as `PREFIX*`). */
export const ENV_PREFIXES_NOT_ACTED_ON: ReadonlyMap<string, string> = new Map([
  [
    'OTEL_EXPORTER_JAEGER_',
    'the Jaeger exporter is gone from the specification: Jaeger takes OTLP (OTEL_EXPORTER_OTLP_ENDPOINT)'
  ]
])

/** How the file refers to a variable (environment variable substitution). */
const SUBSTITUTION = '$' + '{NAME}'

/** A set variable the package does not act on, and why. Never its value. */
export interface IgnoredVariable {
  name: string
  reason: string
}

export interface IgnoreContext {
  /** The configuration file in use, if any, and the variable that named it. */
  configFile?: { variable: string } | undefined
  /** Variables the file references for substitution: the file acts on them. */
  referenced?: readonly string[]
}

/**
 * The `OTEL_*` variables set in `env` that nothing acts on, each with the reason: unknown names
 * (with the closest known one, for a typo), known ones this package does not support, and with a
 * configuration file, the SDK variables the file replaces.
 */
export function ignoredVariables (env: NodeJS.ProcessEnv, context: IgnoreContext = {}): IgnoredVariable[] {
  const ignored: IgnoredVariable[] = []
  const referenced = new Set(context.referenced ?? [])
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('OTEL_') || env[name] === undefined || env[name]!.trim() === '') continue
    if (referenced.has(name)) continue
    const reason = whyIgnored(name, context)
    if (reason !== undefined) ignored.push({ name, reason })
  }
  return ignored
}

function whyIgnored (name: string, context: IgnoreContext): string | undefined {
  const scope = ENV_VARIABLES.get(name)
  if (scope === 'process') {
    // The deprecated name is not used when the current one is set too.
    if (name === 'OTEL_EXPERIMENTAL_CONFIG_FILE' && context.configFile?.variable === 'OTEL_CONFIG_FILE') {
      return 'OTEL_CONFIG_FILE is set too, and wins'
    }
    return undefined
  }
  if (scope === 'sdk') {
    if (context.configFile === undefined) return undefined
    return `${context.configFile.variable} is set: the configuration file replaces the SDK variables (to use one, ` +
      `reference it in the file as ${SUBSTITUTION})`
  }
  const known = ENV_NOT_ACTED_ON.get(name)
  if (known !== undefined) return known
  for (const [prefix, reason] of ENV_PREFIXES_NOT_ACTED_ON) if (name.startsWith(prefix)) return reason
  const hint = closest(name, [...ENV_VARIABLES.keys()])
  return `not a variable this package knows${hint === undefined ? '' : ` (did you mean ${hint}?)`}`
}

/**
 * The one warning about variables nothing acts on: every name, grouped by reason, never a value
 * (a variable set in the wrong place may well hold a credential).
 */
export function ignoredVariablesWarning (ignored: readonly IgnoredVariable[]): string | undefined {
  if (ignored.length === 0) return undefined
  const byReason = new Map<string, string[]>()
  for (const { name, reason } of ignored) byReason.set(reason, [...(byReason.get(reason) ?? []), name])
  const groups = [...byReason].map(([reason, names]) => `${names.join(', ')}: ${reason}`)
  const count = ignored.length === 1 ? 'One OTEL_* variable is' : `${ignored.length} OTEL_* variables are`
  return `${count} set but not acted on (values not shown): ${groups.join('; ')}.`
}
