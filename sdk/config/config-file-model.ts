import type { AttributeValue } from '@opentelemetry/api'
import type { ConfigurationModel } from '@opentelemetry/configuration'
import { isAbsolute } from 'node:path'
import { parseKeyValueList, skippedMembersWarning } from './env-values.js'
import { DETECTOR_VARIABLE_NAMES } from './detector-names.js'

/**
 * A configuration file's settings, written as the variables they take the place of, so that the
 * file goes through the same resolution, checks and defaults as the environment (the
 * specification's otel-sdk-migration-config.yaml pairs each variable with its place in the file
 * in the same way). What a variable cannot say (typed resource attributes) comes apart.
 */
export interface FileSettings {
  /**
   * The file's settings as variables: OTEL_BSP_SCHEDULE_DELAY for
   * `.tracer_provider.processors[0].batch.schedule_delay`.
   */
  env: Record<string, string>
  /** Where in the file each of those variables' values is. */
  paths: Map<string, string>
  /** `.resource.attributes` and `.resource.attributes_list`, typed, later entries winning. */
  resourceAttributes: Array<{ name: string; value: AttributeValue; path: string }>
  /** Properties of the file this package does not act on, with why. */
  notActedOn: Array<{ path: string; reason: string }>
  /** What the file says by leaving something out, or by a form this package reads its own way. */
  notices: string[]
}

type Json = Record<string, unknown>
type Fail = (reason: string) => never

const PROPAGATORS = ['tracecontext', 'baggage', 'b3', 'b3multi', 'none']

/** The top-level properties of file format 1.x, and what this package does with the ones it does not read. */
const TOP_LEVEL_NOT_ACTED_ON: Readonly<Record<string, string>> = {
  'instrumentation/development':
    'instrumentation settings are not read from the file (the preload takes OTEL_NODE_ENABLED_INSTRUMENTATIONS)',
  distribution: 'no distribution-specific settings are defined for this package'
}
const TOP_LEVEL = [
  'disabled',
  'log_level',
  'attribute_limits',
  'logger_provider',
  'meter_provider',
  'propagator',
  'tracer_provider',
  'resource'
]

/**
 * Maps a parsed, valid configuration model onto the variables it replaces. What the file asks for
 * and this package cannot do (an exporter, a sampler or a propagator it has not got, a second
 * processor) calls `fail`: the file would not be honoured. What it leaves out keeps the file
 * format's meaning where the format gives one for a whole section (no `tracer_provider`: no span
 * export; no `propagator`: no propagation; no `logger_provider`: no log export; no resource
 * detection); a single value left out falls to the plugin options, then to the package's defaults.
 */
export function settingsFromModel (model: ConfigurationModel, fail: Fail): FileSettings {
  const out: FileSettings = { env: {}, paths: new Map(), resourceAttributes: [], notActedOn: [], notices: [] }
  const set = (variable: string, value: unknown, path: string): void => {
    if (value === undefined || value === null) return
    out.env[variable] = String(value)
    out.paths.set(variable, path)
  }
  const root = model as Json
  for (const key of Object.keys(root)) {
    if (TOP_LEVEL.includes(key)) continue
    out.notActedOn.push({
      path: `.${key}`,
      reason: TOP_LEVEL_NOT_ACTED_ON[key] ?? 'not a property of file format 1.x: a typo?'
    })
  }
  set('OTEL_SDK_DISABLED', model.disabled, '.disabled')
  if (model.log_level != null) set('OTEL_LOG_LEVEL', diagLevel(model.log_level), '.log_level')
  const limits = model.attribute_limits
  if (limits != null) {
    const at = '.attribute_limits'
    set('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', limits.attribute_value_length_limit, `${at}.attribute_value_length_limit`)
    set('OTEL_ATTRIBUTE_COUNT_LIMIT', limits.attribute_count_limit, `${at}.attribute_count_limit`)
    notActedOnExcept(out, limits as Json, at, ['attribute_value_length_limit', 'attribute_count_limit'])
  }
  mapPropagators(model, set, out, fail)
  mapTracerProvider(model, set, out, fail)
  mapLoggerProvider(model, set, out, fail)
  mapResource(model, set, out, fail)
  return out
}

export type Set = (variable: string, value: unknown, path: string) => void
export type { Fail, Json }

function mapPropagators (model: ConfigurationModel, set: Set, out: FileSettings, fail: Fail): void {
  const propagator = model.propagator
  if (propagator == null) {
    set('OTEL_PROPAGATORS', 'none', '.propagator')
    out.notices.push(
      'no propagator section, which the file format reads as no propagation: inbound trace context is ' +
        'not continued and none is sent. Add `propagator: { composite_list: "tracecontext,baggage" }` to propagate.'
    )
    return
  }
  const names: string[] = []
  const where: string[] = []
  ;(propagator.composite ?? []).forEach((entry, i) => {
    const keys = Object.keys(entry ?? {}).filter((k) => (entry as Json)[k] !== undefined)
    if (keys.length !== 1) fail(`.propagator.composite[${i}] must name exactly one propagator`)
    names.push(keys[0]!)
    where.push(`.propagator.composite[${i}]`)
  })
  for (const name of (propagator.composite_list ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '')) {
    if (!names.includes(name)) {
      names.push(name)
      where.push('.propagator.composite_list')
    }
  }
  names.forEach((name, i) => {
    if (!PROPAGATORS.includes(name)) {
      fail(`${where[i]!}: propagator "${name}" is not supported by this package (supported: ${PROPAGATORS.join(', ')})`)
    }
  })
  const path = propagator.composite !== undefined ? '.propagator.composite' : '.propagator.composite_list'
  set('OTEL_PROPAGATORS', names.length === 0 ? 'none' : names.join(','), path)
}

function mapTracerProvider (model: ConfigurationModel, set: Set, out: FileSettings, fail: Fail): void {
  const provider = model.tracer_provider
  if (provider == null) {
    set('OTEL_TRACES_EXPORTER', 'none', '.tracer_provider')
    out.notices.push('no tracer_provider section, which the file format reads as no tracing: spans are not exported.')
    return
  }
  const base = '.tracer_provider'
  mapProcessors(provider.processors as Json[], 'TRACES', base, set, out, fail)
  const limits = provider.limits
  if (limits != null) {
    const at = `${base}.limits`
    const valueLength = limits.attribute_value_length_limit
    set('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', valueLength, `${at}.attribute_value_length_limit`)
    set('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', limits.attribute_count_limit, `${at}.attribute_count_limit`)
    set('OTEL_SPAN_EVENT_COUNT_LIMIT', limits.event_count_limit, `${at}.event_count_limit`)
    set('OTEL_SPAN_LINK_COUNT_LIMIT', limits.link_count_limit, `${at}.link_count_limit`)
    set('OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', limits.event_attribute_count_limit, `${at}.event_attribute_count_limit`)
    set('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', limits.link_attribute_count_limit, `${at}.link_attribute_count_limit`)
  }
  if (provider.sampler != null) mapSampler(provider.sampler as Json, `${base}.sampler`, set, fail)
  if (provider.id_generator != null) {
    const [name] = single(provider.id_generator as Json, `${base}.id_generator`, fail)
    if (name !== 'random') {
      fail(`${base}.id_generator: "${name}" is not supported by this package (it generates random ids)`)
    }
  }
  notActedOnExcept(out, provider as unknown as Json, base, ['processors', 'limits', 'sampler', 'id_generator'])
}

function mapLoggerProvider (model: ConfigurationModel, set: Set, out: FileSettings, fail: Fail): void {
  const provider = model.logger_provider
  if (provider == null) {
    // Log export is off by default in this package too: nothing to say.
    set('OTEL_LOGS_EXPORTER', 'none', '.logger_provider')
    return
  }
  const base = '.logger_provider'
  mapProcessors(provider.processors as Json[], 'LOGS', base, set, out, fail)
  const limits = provider.limits
  if (limits != null) {
    const at = `${base}.limits`
    const valueLength = limits.attribute_value_length_limit
    set('OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT', valueLength, `${at}.attribute_value_length_limit`)
    set('OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT', limits.attribute_count_limit, `${at}.attribute_count_limit`)
  }
  notActedOnExcept(out, provider as unknown as Json, base, ['processors', 'limits'])
}

/**
 * One processor per signal: the package's batch queue with one exporter. `simple` is read as the
 * batch queue with its defaults (the exporter is the same; what differs is when it is called).
 */
function mapProcessors (
  processors: Json[],
  signal: 'TRACES' | 'LOGS',
  base: string,
  set: Set,
  out: FileSettings,
  fail: Fail
): void {
  const queue = signal === 'TRACES' ? 'OTEL_BSP_' : 'OTEL_BLRP_'
  const selector = signal === 'TRACES' ? 'OTEL_TRACES_EXPORTER' : 'OTEL_LOGS_EXPORTER'
  if (processors.length === 0) {
    set(selector, 'none', `${base}.processors`)
    return
  }
  if (processors.length > 1) {
    fail(
      `${base}.processors has ${processors.length} processors; this package runs one per signal (its batch queue and ` +
        'one exporter): keep one, or add others as option spanProcessors in the code'
    )
  }
  const at = `${base}.processors[0]`
  const [kind, settings] = single(processors[0]!, at, fail)
  if (kind !== 'batch' && kind !== 'simple') {
    fail(`${at}: processor "${kind}" is not supported by this package (batch, simple)`)
  }
  const props = (settings ?? {}) as Json
  if (kind === 'simple') {
    out.notices.push(
      `${at}.simple is run as this package's batch queue (its default settings): the exporter is the same.`
    )
  } else {
    set(`${queue}SCHEDULE_DELAY`, props.schedule_delay, `${at}.batch.schedule_delay`)
    set(`${queue}EXPORT_TIMEOUT`, props.export_timeout, `${at}.batch.export_timeout`)
    set(`${queue}MAX_QUEUE_SIZE`, props.max_queue_size, `${at}.batch.max_queue_size`)
    set(`${queue}MAX_EXPORT_BATCH_SIZE`, props.max_export_batch_size, `${at}.batch.max_export_batch_size`)
  }
  mapExporter(props.exporter as Json, signal, `${at}.${kind}.exporter`, set, fail)
}

/**
 * The exporter of one signal, as its signal's variables: `otlp_http` (protobuf or JSON encoding)
 * and `otlp_grpc` with their endpoint (used as given, as a signal's own endpoint variable is),
 * headers, TLS files, compression and timeout; or `console`.
 */
export function mapExporter (
  exporter: Json,
  signal: 'TRACES' | 'LOGS' | 'METRICS',
  at: string,
  set: Set,
  fail: Fail
): void {
  const selector = `OTEL_${signal}_EXPORTER`
  const [kind, settings] = single(exporter, at, fail)
  if (kind === 'console') {
    set(selector, 'console', `${at}.console`)
    return
  }
  if (kind !== 'otlp_http' && kind !== 'otlp_grpc') {
    fail(`${at}: exporter "${kind}" is not supported by this package (otlp_http, otlp_grpc, console)`)
  }
  const props = (settings ?? {}) as Json
  const here = `${at}.${kind}`
  const variable = (suffix: string): string => `OTEL_EXPORTER_OTLP_${signal}_${suffix}`
  set(selector, 'otlp', here)
  const protocol = kind === 'otlp_grpc' ? 'grpc' : props.encoding === 'json' ? 'http/json' : 'http/protobuf'
  set(variable('PROTOCOL'), protocol, props.encoding != null ? `${here}.encoding` : here)
  set(variable('ENDPOINT'), props.endpoint, `${here}.endpoint`)
  set(variable('COMPRESSION'), props.compression, `${here}.compression`)
  set(variable('TIMEOUT'), props.timeout, `${here}.timeout`)
  const headers = headerList(props.headers as HeaderPair[] | undefined, props.headers_list)
  const headersAt = `${here}.${props.headers != null ? 'headers' : 'headers_list'}`
  if (headers !== undefined) set(variable('HEADERS'), headers, headersAt)
  const tls = (props.tls ?? {}) as Json
  for (const [key, suffix] of [
    ['ca_file', 'CERTIFICATE'],
    ['key_file', 'CLIENT_KEY'],
    ['cert_file', 'CLIENT_CERTIFICATE']
  ] as const) {
    const file = tls[key]
    if (file == null) continue
    // The file format asks for absolute paths: a relative one would depend on the working directory.
    if (typeof file !== 'string' || !isAbsolute(file)) fail(`${here}.tls.${key} must be an absolute path`)
    set(variable(suffix), file, `${here}.tls.${key}`)
  }
  if (kind === 'otlp_grpc') set(variable('INSECURE'), tls.insecure, `${here}.tls.insecure`)
}

/**
 * `headers` (name/value pairs) over `headers_list` (`k=v,...` as in OTEL_EXPORTER_OTLP_HEADERS),
 * as one list in the variable's form: the later member wins, so the pairs come last.
 */
type HeaderPair = { name: string; value: string | null }

function headerList (pairs: HeaderPair[] | undefined, list: unknown): string | undefined {
  const members: string[] = []
  if (typeof list === 'string' && list.trim() !== '') members.push(list)
  for (const { name, value } of pairs ?? []) {
    if (value !== null) members.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
  }
  return members.length === 0 ? undefined : members.join(',')
}

const PARENT_DEFAULTS: Readonly<Record<string, string>> = {
  remote_parent_sampled: 'always_on',
  remote_parent_not_sampled: 'always_off',
  local_parent_sampled: 'always_on',
  local_parent_not_sampled: 'always_off'
}

/**
 * The samplers this package has by name: always_on, always_off, trace_id_ratio_based, and
 * parent_based over one of them with the parent rules at their defaults (what the
 * `parentbased_*` names of OTEL_TRACES_SAMPLER mean). Anything else takes a Sampler instance.
 */
function mapSampler (sampler: Json, at: string, set: Set, fail: Fail): void {
  const unsupported = (where: string, what: string): never =>
    fail(
      `${where}: ${what} is not supported by this package; leave the sampler out of the file and pass a Sampler ` +
        'instance as option sampler'
    )
  const leaf = (node: Json, where: string): { name: string; ratio?: unknown; ratioPath?: string } => {
    const [name, props] = single(node, where, fail)
    if (name === 'always_on' || name === 'always_off') return { name }
    if (name === 'trace_id_ratio_based') {
      const ratio = (props as Json | null)?.ratio ?? 1
      return { name: 'traceidratio', ratio, ratioPath: `${where}.trace_id_ratio_based.ratio` }
    }
    return unsupported(where, `sampler "${name}"`)
  }
  const [name, props] = single(sampler, at, fail)
  let chosen: { name: string; ratio?: unknown; ratioPath?: string }
  if (name === 'parent_based') {
    const parent = (props ?? {}) as Json
    for (const [key, expected] of Object.entries(PARENT_DEFAULTS)) {
      if (parent[key] == null) continue
      const [rule] = single(parent[key] as Json, `${at}.parent_based.${key}`, fail)
      if (rule !== expected) unsupported(`${at}.parent_based.${key}`, `"${rule}" (only ${expected}, the default)`)
    }
    const root = parent.root == null ? { name: 'always_on' } : leaf(parent.root as Json, `${at}.parent_based.root`)
    chosen = { ...root, name: `parentbased_${root.name}` }
  } else {
    chosen = leaf(sampler, at)
  }
  set('OTEL_TRACES_SAMPLER', chosen.name, at)
  if (chosen.ratioPath !== undefined) set('OTEL_TRACES_SAMPLER_ARG', chosen.ratio, chosen.ratioPath)
}

const ATTRIBUTE_TYPES: Readonly<Record<string, (value: unknown) => boolean>> = {
  string: (v) => typeof v === 'string',
  bool: (v) => typeof v === 'boolean',
  int: (v) => Number.isInteger(v),
  double: (v) => typeof v === 'number',
  string_array: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  bool_array: (v) => Array.isArray(v) && v.every((x) => typeof x === 'boolean'),
  int_array: (v) => Array.isArray(v) && v.every((x) => Number.isInteger(x)),
  double_array: (v) => Array.isArray(v) && v.every((x) => typeof x === 'number')
}

function mapResource (model: ConfigurationModel, set: Set, out: FileSettings, fail: Fail): void {
  const resource = model.resource
  const detection = resource?.['detection/development']
  // The file format's default: no detection.
  const detectors = (detection?.detectors ?? []).map((entry, i) => {
    const [name] = single(entry as Json, `.resource.detection/development.detectors[${i}]`, fail)
    if (!DETECTOR_VARIABLE_NAMES.includes(name) || ['all', 'none', 'env'].includes(name)) {
      fail(`.resource.detection/development.detectors[${i}]: detector "${name}" is not known to this package`)
    }
    return name
  })
  set(
    'OTEL_NODE_RESOURCE_DETECTORS',
    detectors.length === 0 ? 'none' : detectors.join(','),
    detection == null ? '.resource.detection/development' : '.resource.detection/development.detectors'
  )
  if (resource == null) return
  if (detection?.attributes != null) {
    out.notActedOn.push({
      path: '.resource.detection/development.attributes',
      reason: 'every attribute the detectors find is kept'
    })
  }
  if (resource.schema_url != null) {
    out.notActedOn.push({ path: '.resource.schema_url', reason: 'no schema URL is sent' })
  }
  if (typeof resource.attributes_list === 'string') {
    const parsed = parseKeyValueList(resource.attributes_list)
    if (parsed.skipped.length > 0) out.notices.push(skippedMembersWarning('.resource.attributes_list', parsed))
    for (const [name, value] of parsed.entries) {
      out.resourceAttributes.push({ name, value, path: '.resource.attributes_list' })
    }
  }
  ;(resource.attributes ?? []).forEach((attribute, i) => {
    const at = `.resource.attributes[${i}]`
    // nullBehavior: the entry is ignored.
    if (attribute.value === null) return
    const type = attribute.type ?? 'string'
    if (ATTRIBUTE_TYPES[type]?.(attribute.value) !== true) fail(`${at}.value does not have the type ${type}`)
    out.resourceAttributes.push({ name: attribute.name, value: attribute.value, path: at })
  })
}

/** The one entry of an object of the form `{ name: settings }` (an exporter, a sampler...). */
export function single (node: Json | null | undefined, at: string, fail: Fail): [string, unknown] {
  const entries = Object.entries(node ?? {}).filter(([, value]) => value !== undefined)
  if (entries.length !== 1) return fail(`${at} must have exactly one entry`)
  return entries[0]!
}

export function notActedOnExcept (out: FileSettings, node: Json, at: string, handled: readonly string[]): void {
  for (const key of Object.keys(node)) {
    if (!handled.includes(key) && node[key] !== undefined && node[key] !== null) {
      out.notActedOn.push({ path: `${at}.${key}`, reason: 'not supported by this package' })
    }
  }
}

/** The file's severity names (`warn`, `debug2`...) as the diagnostic levels of OpenTelemetry JS. */
function diagLevel (severity: string): string {
  const family = severity.replace(/\d+$/, '')
  if (family === 'trace') return 'verbose'
  if (family === 'fatal') return 'error'
  return family
}
