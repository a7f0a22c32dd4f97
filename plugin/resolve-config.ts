import type { Attributes, AttributeValue, TextMapPropagator } from '@opentelemetry/api'
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace-base'
import { constants as osConstants } from 'node:os'
import {
  BATCH_PRESETS, BATCH_PRESET_NAMES, DEFAULT_BATCH_PRESET, DEFAULT_EXPORTER_TIMEOUT_MILLIS,
  DEFAULT_EXPORT_TIMEOUT_MILLIS, DEFAULT_OTLP_GRPC_ENDPOINT, DEFAULT_PROPAGATORS, DEFAULT_SAMPLER,
  DEFAULT_SAMPLING_RATIO, DEFAULT_SERVICE_NAME, DEFAULT_SHUTDOWN_TIMEOUT_MILLIS, DEFAULT_SIGNALS,
  PROPAGATOR_NAMES, SAMPLER_NAMES
} from './defaults.js'
import {
  type Parsed, parseBoolean, parseEnum, parseKeyValueList, parseList, parsePositiveInteger, parseRatio, readEnv
} from './env-values.js'
import { batchLimits, conflictingOptions, invalidOption } from './errors.js'
import type {
  BatchPreset, ConfigSource, ExporterKind, OtelPluginOptions, PropagatorName, ResolvedBatchConfig,
  ResolvedConfig, ResolvedExporterConfig, SamplerName, Setting
} from './options.js'
import { endpointScheme, parseEndpoint, redactEndpoint } from './endpoint.js'
import { DEFAULT_RETRY_POLICY } from './retrying-exporter.js'
import {
  isPlainObject, isValidHeaderName, isValidHeaderValue, optionalAttributes, optionalBoolean, optionalEnum,
  optionalHeaders, optionalPositiveInteger, optionalRatio, optionalString, rejectUnknownKeys
} from './validate.js'

/** What SDK assembly needs: the public config plus the pieces that must not be shown. */
export interface ConfigResolution {
  config: ResolvedConfig
  /** Exporter headers with their real values (the config shows them redacted). */
  exporterHeaders: Record<string, string>
  exporterInstance: SpanExporter | undefined
  samplerInstance: Sampler | undefined
  propagatorInstance: TextMapPropagator | undefined
  /** Override and fallback notices, to be logged once each. */
  warnings: string[]
}

export const KNOWN_OPTION_KEYS: readonly string[] = Object.freeze([
  'serviceName', 'serviceVersion', 'deploymentEnvironment', 'resourceAttributes', 'sampler', 'samplingRatio',
  'exporter', 'batch', 'propagators', 'extractOnly', 'traceResponseHeader', 'ignore', 'spanName',
  'requestAttributes', 'responseAttributes', 'captureHeaders', 'redactQueryParams', 'logCorrelation',
  'handleSignals', 'shutdownTimeoutMillis', 'propagator'
])
const EXPORTER_KEYS = ['endpoint', 'insecure', 'timeoutMillis', 'headers', 'compression', 'certificateFile', 'clientKeyFile', 'clientCertificateFile', 'retry']
const RETRY_KEYS = ['maxAttempts', 'initialBackoffMillis', 'maxBackoffMillis']
const BATCH_KEYS = ['preset', 'maxQueueSize', 'scheduledDelayMillis', 'maxExportBatchSize', 'exportTimeoutMillis']

const SERVICE_NAME = 'service.name'
const SERVICE_VERSION = 'service.version'
const DEPLOYMENT_ENVIRONMENT = 'deployment.environment.name'
const REDACTED = '[REDACTED]'

/**
 * Resolves every SDK setting with the precedence environment > plugin options > defaults.
 * Invalid options throw (coded); invalid environment values are warned about and ignored, as if
 * unset, so the next source applies. Environment defaults are read here, never at import time.
 */
export function resolveConfig (rawOptions: unknown, env: NodeJS.ProcessEnv = process.env): ConfigResolution {
  if (rawOptions !== undefined && !isPlainObject(rawOptions)) throw invalidOption('options', 'an object', rawOptions)
  const options = (rawOptions ?? {}) as OtelPluginOptions & Record<string, unknown>
  rejectUnknownKeys('', options, KNOWN_OPTION_KEYS)
  const r = new Resolver(env)

  const disabled = r.setting('(OTEL_SDK_DISABLED)', undefined, ['OTEL_SDK_DISABLED'], parseBoolean, false, String)
  const resource = resolveResource(r, options)
  const sampling = resolveSampling(r, options)
  const exporter = resolveExporter(r, options)
  const batch = resolveBatch(r, options.batch)
  const propagation = resolvePropagators(r, options)

  const config: ResolvedConfig = {
    disabled,
    ...resource,
    sampler: sampling.sampler,
    samplingRatio: sampling.samplingRatio,
    exporter: exporter.config,
    batch,
    propagators: propagation.propagators,
    extractOnly: fromOption(optionalBoolean('extractOnly', options.extractOnly), false),
    traceResponseHeader: fromOption(optionalBoolean('traceResponseHeader', options.traceResponseHeader), false),
    logCorrelation: fromOption(optionalBoolean('logCorrelation', options.logCorrelation), true),
    handleSignals: resolveSignals(options.handleSignals),
    shutdownTimeoutMillis: fromOption(optionalPositiveInteger('shutdownTimeoutMillis', options.shutdownTimeoutMillis), DEFAULT_SHUTDOWN_TIMEOUT_MILLIS)
  }
  if (config.extractOnly.value && config.traceResponseHeader.value) {
    r.warnings.push('traceResponseHeader is ignored because extractOnly is on: extract-only mode makes every injection a no-op.')
  }
  return {
    config: deepFreeze(config),
    exporterHeaders: exporter.headers,
    exporterInstance: exporter.instance,
    samplerInstance: sampling.instance,
    propagatorInstance: propagation.instance,
    warnings: r.warnings
  }
}

class Resolver {
  readonly warnings: string[] = []
  constructor (readonly env: NodeJS.ProcessEnv) {}

  /**
   * One setting from the first valid variable in `envNames`, else the option, else the default.
   * `display` renders values for warnings (redacting where needed).
   */
  setting<T> (
    key: string,
    fromOptions: T | undefined,
    envNames: readonly string[],
    parse: (raw: string) => Parsed<T>,
    fallback: T,
    display: (value: T) => string = (v) => JSON.stringify(v),
    showRaw: (raw: string) => string = (raw) => JSON.stringify(raw)
  ): Setting<T> {
    const rejected: string[] = []
    let hit: { name: string, value: T } | undefined
    for (const name of envNames) {
      const raw = readEnv(this.env, name)
      if (raw === undefined) continue
      const parsed = parse(raw)
      if (parsed.ok) {
        hit = { name, value: parsed.value }
        break
      }
      rejected.push(`${name}=${showRaw(raw)} is invalid (${parsed.reason})`)
    }
    const result = this.decide(key, fromOptions, hit, fallback, display)
    for (const note of rejected) {
      this.warnings.push(`${note}; ignoring it and using ${display(result.value)} from ${describeSource(result)}.`)
    }
    return result
  }

  /** Applies the precedence to an already-read environment value and warns about an override. */
  decide<T> (
    key: string,
    fromOptions: T | undefined,
    hit: { name: string, value: T } | undefined,
    fallback: T,
    display: (value: T) => string = (v) => JSON.stringify(v)
  ): Setting<T> {
    if (hit === undefined) {
      return fromOptions !== undefined ? { value: fromOptions, source: 'options' } : { value: fallback, source: 'default' }
    }
    if (fromOptions !== undefined && !sameValue(fromOptions, hit.value)) {
      this.warnings.push(
        `${hit.name} overrides option ${key}: using ${display(hit.value)} from the environment ` +
          `instead of ${display(fromOptions)} from the plugin options.`
      )
    }
    return { value: hit.value, source: 'env', env: hit.name }
  }
}

const DEDICATED_RESOURCE_KEYS = [SERVICE_NAME, SERVICE_VERSION, DEPLOYMENT_ENVIRONMENT]

function resolveResource (r: Resolver, options: OtelPluginOptions): Pick<ResolvedConfig, 'serviceName' | 'serviceVersion' | 'deploymentEnvironment' | 'resourceAttributes'> {
  const optionAttributes = optionalAttributes('resourceAttributes', options.resourceAttributes) ?? {}
  const serviceNameOption = optionalString('serviceName', options.serviceName) ?? stringAttribute(optionAttributes[SERVICE_NAME])
  const versionOption = optionalString('serviceVersion', options.serviceVersion) ?? stringAttribute(optionAttributes[SERVICE_VERSION])
  const environmentOption = optionalString('deploymentEnvironment', options.deploymentEnvironment) ?? stringAttribute(optionAttributes[DEPLOYMENT_ENVIRONMENT])

  let envAttributes: Record<string, string> = {}
  const rawAttributes = readEnv(r.env, 'OTEL_RESOURCE_ATTRIBUTES')
  if (rawAttributes !== undefined) {
    const parsed = parseKeyValueList(rawAttributes)
    if (parsed.ok) envAttributes = parsed.value
    else r.warnings.push(`OTEL_RESOURCE_ATTRIBUTES is invalid (${parsed.reason}); ignoring all of it.`)
  }

  const merged: Attributes = { ...optionAttributes }
  let envContributed = false
  for (const [key, value] of Object.entries(envAttributes)) {
    if (DEDICATED_RESOURCE_KEYS.includes(key)) continue
    envContributed = true
    const previous = merged[key]
    if (previous !== undefined && String(previous) !== value) {
      r.warnings.push(
        `OTEL_RESOURCE_ATTRIBUTES overrides option resourceAttributes["${key}"]: using ${JSON.stringify(value)} ` +
          `from the environment instead of ${JSON.stringify(previous)} from the plugin options.`
      )
    }
    merged[key] = value
  }
  for (const key of DEDICATED_RESOURCE_KEYS) delete merged[key]
  const resourceAttributes: Setting<Attributes> = envContributed
    ? { value: merged, source: 'env', env: 'OTEL_RESOURCE_ATTRIBUTES' }
    : { value: merged, source: options.resourceAttributes === undefined ? 'default' : 'options' }

  const inAttributes = (key: string): { name: string, value: string } | undefined =>
    envAttributes[key] === undefined || envAttributes[key] === '' ? undefined : { name: 'OTEL_RESOURCE_ATTRIBUTES', value: envAttributes[key] }
  // OTEL_SERVICE_NAME wins over a service.name inside OTEL_RESOURCE_ATTRIBUTES (specification).
  const envServiceName = readEnv(r.env, 'OTEL_SERVICE_NAME')
  const serviceName = r.decide(
    'serviceName', serviceNameOption,
    envServiceName !== undefined ? { name: 'OTEL_SERVICE_NAME', value: envServiceName } : inAttributes(SERVICE_NAME),
    DEFAULT_SERVICE_NAME
  )
  if (serviceName.source === 'default') {
    r.warnings.push(`No service name is set (option serviceName or OTEL_SERVICE_NAME): spans will be reported as "${DEFAULT_SERVICE_NAME}".`)
  }
  const serviceVersion = r.decide<string | undefined>('serviceVersion', versionOption, inAttributes(SERVICE_VERSION), undefined)
  const deploymentEnvironment = r.decide<string | undefined>('deploymentEnvironment', environmentOption, inAttributes(DEPLOYMENT_ENVIRONMENT), undefined)
  return { serviceName, serviceVersion, deploymentEnvironment, resourceAttributes }
}

function resolveSampling (r: Resolver, options: OtelPluginOptions): { sampler: Setting<SamplerName | 'custom'>, samplingRatio: Setting<number>, instance: Sampler | undefined } {
  let optionSampler: SamplerName | 'custom' | undefined
  let instance: Sampler | undefined
  if (options.sampler !== undefined && typeof options.sampler === 'object' && options.sampler !== null &&
      typeof (options.sampler as Sampler).shouldSample === 'function') {
    optionSampler = 'custom'
    instance = options.sampler as Sampler
  } else {
    optionSampler = optionalEnum('sampler', options.sampler, SAMPLER_NAMES)
  }
  const sampler = r.setting<SamplerName | 'custom'>('sampler', optionSampler, ['OTEL_TRACES_SAMPLER'], parseSamplerName, DEFAULT_SAMPLER, String)
  const ratioOption = optionalRatio('samplingRatio', options.samplingRatio)
  const samplingRatio = r.setting('samplingRatio', ratioOption, ['OTEL_TRACES_SAMPLER_ARG'], parseRatio, DEFAULT_SAMPLING_RATIO, String)
  if (ratioOption !== undefined && sampler.value !== 'traceidratio' && sampler.value !== 'parentbased_traceidratio') {
    r.warnings.push(
      `samplingRatio ${ratioOption} has no effect with sampler ${sampler.value}: ` +
        'use sampler "parentbased_traceidratio" (or "traceidratio") to sample by ratio.'
    )
  }
  return { sampler, samplingRatio, instance: sampler.value === 'custom' ? instance : undefined }
}

function parseSamplerName (raw: string): Parsed<SamplerName> {
  const lower = raw.toLowerCase()
  if (['jaeger_remote', 'parentbased_jaeger_remote', 'xray'].includes(lower)) {
    return { ok: false, reason: 'a valid specification value that this plugin does not support; pass a Sampler instance as option sampler' }
  }
  return parseEnum(raw, SAMPLER_NAMES)
}

function resolveExporter (r: Resolver, options: OtelPluginOptions): { config: ResolvedExporterConfig, headers: Record<string, string>, instance: SpanExporter | undefined } {
  let instance: SpanExporter | undefined
  let otlp: Record<string, unknown> = {}
  const raw = options.exporter as unknown
  if (raw !== undefined) {
    if (raw !== null && typeof raw === 'object' && typeof (raw as SpanExporter).export === 'function') {
      instance = raw as SpanExporter
    } else if (isPlainObject(raw)) {
      rejectUnknownKeys('exporter', raw, EXPORTER_KEYS)
      otlp = raw
    } else {
      throw invalidOption('exporter', 'an object of OTLP settings or a SpanExporter instance', raw)
    }
  }
  const signal = (suffix: string): string[] => [`OTEL_EXPORTER_OTLP_TRACES_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]

  const kind = r.setting<ExporterKind>(
    'exporter', instance === undefined ? undefined : 'custom', ['OTEL_TRACES_EXPORTER'], parseExporterKind, 'otlp-grpc', String
  )
  const protocol = readEnv(r.env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? readEnv(r.env, 'OTEL_EXPORTER_OTLP_PROTOCOL')
  if (protocol !== undefined && protocol !== 'grpc' && kind.value === 'otlp-grpc') {
    r.warnings.push(
      `OTEL_EXPORTER_OTLP_PROTOCOL=${JSON.stringify(protocol)} is not supported: this plugin exports over OTLP/gRPC. ` +
        'For OTLP/HTTP, pass an OTLPTraceExporter from @opentelemetry/exporter-trace-otlp-http as option exporter.'
    )
  }

  const endpointOption = optionalString('exporter.endpoint', otlp.endpoint)
  if (endpointOption !== undefined) {
    const parsed = parseEndpoint(endpointOption)
    if (!parsed.ok) throw invalidOption('exporter.endpoint', `an http:// or https:// URL or host:port (${parsed.reason})`, redactEndpoint(endpointOption))
  }
  const endpoint = r.setting('exporter.endpoint', endpointOption, signal('ENDPOINT'), (v) => {
    const p = parseEndpoint(v)
    return p.ok ? { ok: true, value: v } : p
  }, DEFAULT_OTLP_GRPC_ENDPOINT, (v) => JSON.stringify(redactEndpoint(v)), (v) => JSON.stringify(redactEndpoint(v)))
  const insecure = r.setting('exporter.insecure', optionalBoolean('exporter.insecure', otlp.insecure), signal('INSECURE'), parseBoolean, false, String)
  const timeoutMillis = r.setting('exporter.timeoutMillis', optionalPositiveInteger('exporter.timeoutMillis', otlp.timeoutMillis), signal('TIMEOUT'), parsePositiveInteger, DEFAULT_EXPORTER_TIMEOUT_MILLIS, String)
  const compression = r.setting<'gzip' | 'none'>(
    'exporter.compression', optionalEnum('exporter.compression', otlp.compression, ['gzip', 'none'] as const), signal('COMPRESSION'),
    (v) => parseEnum(v, ['gzip', 'none'] as const), 'none', String
  )
  const fileSetting = (key: string, suffix: string): Setting<string | undefined> =>
    r.setting<string | undefined>(`exporter.${key}`, optionalString(`exporter.${key}`, otlp[key]), signal(suffix), (v) => ({ ok: true, value: v }), undefined)
  const certificateFile = fileSetting('certificateFile', 'CERTIFICATE')
  const clientKeyFile = fileSetting('clientKeyFile', 'CLIENT_KEY')
  const clientCertificateFile = fileSetting('clientCertificateFile', 'CLIENT_CERTIFICATE')
  const headers = resolveHeaders(r, optionalHeaders('exporter.headers', otlp.headers), signal('HEADERS'))

  checkTransportSecurity(r, endpoint, insecure, certificateFile, clientKeyFile, clientCertificateFile)

  const config: ResolvedExporterConfig = {
    kind,
    endpoint,
    insecure,
    timeoutMillis,
    headers: { ...headers, value: Object.fromEntries(Object.keys(headers.value).map((k) => [k, REDACTED])) },
    compression,
    certificateFile,
    clientKeyFile,
    clientCertificateFile,
    retry: resolveRetry(otlp.retry)
  }
  return { config, headers: headers.value, instance: kind.value === 'custom' ? instance : undefined }
}

function resolveRetry (raw: unknown): ResolvedExporterConfig['retry'] {
  const defaults = { maxAttempts: DEFAULT_RETRY_POLICY.maxAttempts, initialBackoffMillis: DEFAULT_RETRY_POLICY.initialBackoffMillis, maxBackoffMillis: DEFAULT_RETRY_POLICY.maxBackoffMillis }
  if (raw === undefined) return { value: defaults, source: 'default' }
  if (raw === false) return { value: false, source: 'options' }
  if (!isPlainObject(raw)) throw invalidOption('exporter.retry', 'false or an object of retry settings', raw)
  rejectUnknownKeys('exporter.retry', raw, RETRY_KEYS)
  const value = {
    maxAttempts: optionalPositiveInteger('exporter.retry.maxAttempts', raw.maxAttempts) ?? defaults.maxAttempts,
    initialBackoffMillis: optionalPositiveInteger('exporter.retry.initialBackoffMillis', raw.initialBackoffMillis) ?? defaults.initialBackoffMillis,
    maxBackoffMillis: optionalPositiveInteger('exporter.retry.maxBackoffMillis', raw.maxBackoffMillis) ?? defaults.maxBackoffMillis
  }
  if (value.maxBackoffMillis < value.initialBackoffMillis) {
    throw conflictingOptions(`exporter.retry.maxBackoffMillis (${value.maxBackoffMillis}) is smaller than initialBackoffMillis (${value.initialBackoffMillis}).`)
  }
  return { value, source: 'options' }
}

function parseExporterKind (raw: string): Parsed<ExporterKind> {
  const names = parseList(raw)
  const first = names[0]
  if (first === 'otlp') return { ok: true, value: 'otlp-grpc' }
  if (first === 'console' || first === 'none') return { ok: true, value: first }
  return { ok: false, reason: 'expected otlp, console or none' }
}

/** Headers merge key by key: options, then OTEL_EXPORTER_OTLP_HEADERS, then the _TRACES_ variant. */
function resolveHeaders (r: Resolver, fromOptions: Record<string, string> | undefined, envNames: string[]): Setting<Record<string, string>> {
  const merged: Record<string, string> = { ...fromOptions }
  let source: ConfigSource = fromOptions === undefined ? 'default' : 'options'
  let envName: string | undefined
  for (const name of [...envNames].reverse()) {
    const raw = readEnv(r.env, name)
    if (raw === undefined) continue
    const parsed = parseKeyValueList(raw)
    const invalid = parsed.ok ? Object.entries(parsed.value).find(([k, v]) => !isValidHeaderName(k.toLowerCase()) || !isValidHeaderValue(v)) : undefined
    if (!parsed.ok || invalid !== undefined) {
      const reason = parsed.ok ? `header ${JSON.stringify(invalid![0])} has an invalid name or value` : parsed.reason
      r.warnings.push(`${name} is invalid (${reason}); ignoring it. Header values are not shown.`)
      continue
    }
    for (const [key, value] of Object.entries(parsed.value)) {
      const lower = key.toLowerCase()
      if (merged[lower] !== undefined && merged[lower] !== value) {
        r.warnings.push(`${name} overrides option exporter.headers["${lower}"]: using ${REDACTED} from the environment instead of ${REDACTED} from the plugin options.`)
      }
      merged[lower] = value
    }
    source = 'env'
    envName = name
  }
  return envName === undefined ? { value: merged, source } : { value: merged, source, env: envName }
}

/**
 * `https://` means TLS and `http://` plaintext; `insecure` only speaks for an endpoint without a
 * scheme. Contradictions in the plugin options are errors; from the environment they are warnings.
 */
function checkTransportSecurity (
  r: Resolver,
  endpoint: Setting<string>,
  insecure: Setting<boolean>,
  ...files: Array<Setting<string | undefined>>
): void {
  const scheme = endpointScheme(endpoint.value)
  const bothFromOptions = (s: Setting<unknown>): boolean => endpoint.source !== 'env' && s.source === 'options'
  if (scheme === 'https' && insecure.value) {
    const message = `exporter.insecure is true but the endpoint ${JSON.stringify(redactEndpoint(endpoint.value))} uses https://, which always means TLS.`
    if (bothFromOptions(insecure)) throw conflictingOptions(`${message} Use an http:// endpoint for plaintext, or drop insecure.`)
    r.warnings.push(`${message} insecure is ignored.`)
  }
  const plaintext = scheme === 'http' || (scheme === undefined && insecure.value)
  const [certificate, clientKey, clientCertificate] = files as [Setting<string | undefined>, Setting<string | undefined>, Setting<string | undefined>]
  for (const file of [certificate, clientKey, clientCertificate]) {
    if (file.value === undefined || !plaintext) continue
    const message = `a TLS file is configured (${file.source === 'env' ? file.env : 'option'}) but the endpoint ${JSON.stringify(redactEndpoint(endpoint.value))} is plaintext.`
    if (bothFromOptions(file)) throw conflictingOptions(`${message} Use an https:// endpoint for TLS.`)
    r.warnings.push(`${message} The file is not used.`)
  }
  if ((clientKey.value === undefined) !== (clientCertificate.value === undefined)) {
    const message = 'mutual TLS needs both exporter.clientKeyFile and exporter.clientCertificateFile.'
    if (clientKey.source !== 'env' && clientCertificate.source !== 'env') throw conflictingOptions(`${message} Set both, or neither.`)
    r.warnings.push(`${message} The client certificate is not used.`)
  }
}

function resolveBatch (r: Resolver, raw: unknown): ResolvedBatchConfig {
  let presetOption: BatchPreset | undefined
  let explicit: Record<string, unknown> = {}
  if (typeof raw === 'string' || raw === undefined) {
    presetOption = optionalEnum('batch', raw, BATCH_PRESET_NAMES)
  } else {
    if (!isPlainObject(raw)) throw invalidOption('batch', `one of ${BATCH_PRESET_NAMES.join(', ')} or an object of batch settings`, raw)
    const object = raw
    rejectUnknownKeys('batch', object, BATCH_KEYS)
    presetOption = optionalEnum('batch.preset', object.preset, BATCH_PRESET_NAMES)
    explicit = object
  }
  const presetName = presetOption ?? DEFAULT_BATCH_PRESET
  const preset = BATCH_PRESETS[presetName]
  const presetSource: ConfigSource = presetOption === undefined ? 'default' : 'options'
  type SizeKey = 'maxQueueSize' | 'scheduledDelayMillis' | 'maxExportBatchSize'
  const ENV: Record<SizeKey, string> = {
    maxQueueSize: 'OTEL_BSP_MAX_QUEUE_SIZE',
    scheduledDelayMillis: 'OTEL_BSP_SCHEDULE_DELAY',
    maxExportBatchSize: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'
  }
  const value = (key: SizeKey, useEnv = true): Setting<number> => {
    const fromOptions = optionalPositiveInteger(`batch.${key}`, explicit[key])
    const setting = r.setting(`batch.${key}`, fromOptions, useEnv ? [ENV[key]] : [], parsePositiveInteger, preset[key], String)
    // A value that came from the preset is as much the user's choice as the preset was.
    return setting.source === 'default' ? { value: setting.value, source: presetSource } : setting
  }
  let maxQueueSize = value('maxQueueSize')
  let maxExportBatchSize = value('maxExportBatchSize')
  const scheduledDelayMillis = value('scheduledDelayMillis')
  const exportTimeoutMillis = r.setting(
    'batch.exportTimeoutMillis', optionalPositiveInteger('batch.exportTimeoutMillis', explicit.exportTimeoutMillis),
    ['OTEL_BSP_EXPORT_TIMEOUT'], parsePositiveInteger, DEFAULT_EXPORT_TIMEOUT_MILLIS, String
  )

  if (maxExportBatchSize.value > maxQueueSize.value) {
    if (maxExportBatchSize.source !== 'env' && maxQueueSize.source !== 'env') throw batchLimits(maxExportBatchSize.value, maxQueueSize.value)
    // The environment made the pair impossible: ignore its sizes, as if unset.
    r.warnings.push(
      `The environment sets a batch size (${maxExportBatchSize.value}) larger than the queue (${maxQueueSize.value}); ` +
        `ignoring ${ENV.maxQueueSize} and ${ENV.maxExportBatchSize}.`
    )
    maxQueueSize = value('maxQueueSize', false)
    maxExportBatchSize = value('maxExportBatchSize', false)
    if (maxExportBatchSize.value > maxQueueSize.value) throw batchLimits(maxExportBatchSize.value, maxQueueSize.value)
  }
  const allFromPreset = [maxQueueSize, scheduledDelayMillis, maxExportBatchSize].every((s) => s.source === presetSource)
  return {
    preset: { value: allFromPreset ? presetName : 'custom', source: allFromPreset ? presetSource : 'options' },
    maxQueueSize,
    scheduledDelayMillis,
    maxExportBatchSize,
    exportTimeoutMillis
  }
}

function resolvePropagators (r: Resolver, options: OtelPluginOptions): { propagators: Setting<PropagatorName[] | ['custom']>, instance: TextMapPropagator | undefined } {
  let optionValue: PropagatorName[] | ['custom'] | undefined
  let instance: TextMapPropagator | undefined
  if (options.propagator !== undefined) {
    const p = options.propagator as unknown as Partial<TextMapPropagator> | null
    if (p === null || typeof p !== 'object' || typeof p.inject !== 'function' || typeof p.extract !== 'function' || typeof p.fields !== 'function') {
      throw invalidOption('propagator', 'a TextMapPropagator (inject, extract and fields methods)', options.propagator)
    }
    if (options.propagators !== undefined) throw conflictingOptions('set either option propagator (an instance) or propagators (names), not both.')
    instance = p as TextMapPropagator
    optionValue = ['custom']
  } else if (options.propagators !== undefined) {
    optionValue = validatePropagatorNames(options.propagators)
  }
  const propagators = r.setting<PropagatorName[] | ['custom']>(
    'propagators', optionValue, ['OTEL_PROPAGATORS'], parsePropagatorList, [...DEFAULT_PROPAGATORS], (v) => v.join(',')
  )
  return { propagators, instance: propagators.source === 'options' ? instance : undefined }
}

function validatePropagatorNames (value: unknown): PropagatorName[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidOption('propagators', `a non-empty array of ${PROPAGATOR_NAMES.map((n) => JSON.stringify(n)).join(', ')}`, value)
  }
  const names = value.map((item, i) => optionalEnum(`propagators[${i}]`, item, PROPAGATOR_NAMES) as PropagatorName)
  if (names.includes('none') && names.length > 1) {
    throw invalidOption('propagators', '["none"] alone, or a list without "none"', value)
  }
  return [...new Set(names)]
}

function parsePropagatorList (raw: string): Parsed<PropagatorName[]> {
  const names = parseList(raw)
  const unknown = names.filter((n) => !(PROPAGATOR_NAMES as readonly string[]).includes(n))
  if (unknown.length > 0) return { ok: false, reason: `unknown propagator ${unknown.map((u) => JSON.stringify(u)).join(', ')}; allowed: ${PROPAGATOR_NAMES.join(', ')}` }
  if (names.length === 0) return { ok: false, reason: 'empty list' }
  // "none" next to real propagators is contradictory; the real ones are what the operator wants.
  const real = names.filter((n) => n !== 'none')
  return { ok: true, value: [...new Set(real.length > 0 ? real : names)] as PropagatorName[] }
}

function resolveSignals (value: unknown): Setting<NodeJS.Signals[]> {
  if (value === undefined) return { value: [...DEFAULT_SIGNALS], source: 'default' }
  if (value === true) return { value: [...DEFAULT_SIGNALS], source: 'options' }
  if (value === false) return { value: [], source: 'options' }
  if (!Array.isArray(value)) throw invalidOption('handleSignals', 'true, false or an array of signal names', value)
  value.forEach((name, i) => {
    if (typeof name !== 'string' || !(name in osConstants.signals) || name === 'SIGKILL' || name === 'SIGSTOP') {
      throw invalidOption(`handleSignals[${i}]`, 'a signal name that can be caught, such as "SIGTERM"', name)
    }
  })
  return { value: [...new Set(value as NodeJS.Signals[])], source: 'options' }
}

function fromOption<T> (value: T | undefined, fallback: T): Setting<T> {
  return value === undefined ? { value: fallback, source: 'default' } : { value, source: 'options' }
}

function stringAttribute (value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function describeSource (setting: Setting<unknown>): string {
  if (setting.source === 'env') return setting.env ?? 'the environment'
  return setting.source === 'options' ? 'the plugin options' : 'the default'
}

function sameValue (a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}
