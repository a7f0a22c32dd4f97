import type { SpanExporter } from '@opentelemetry/sdk-trace'
import { conflictingOptions, invalidOption } from '../errors.js'
import { DEFAULT_RETRY_POLICY } from './retry-policy.js'
import { DEFAULT_EXPORTER_TIMEOUT_MILLIS, DEFAULT_OTLP_GRPC_ENDPOINT } from './defaults.js'
import { endpointScheme, parseEndpoint, redactEndpoint } from './endpoint.js'
import {
  type Parsed,
  parseBoolean,
  parseEnum,
  parseKeyValueList,
  parseList,
  parsePositiveInteger,
  readEnv,
  skippedMembersWarning
} from './env-values.js'
import type { ExporterKind, ResolvedExporterConfig, SdkOptions, Setting } from './options.js'
import type { Resolver } from './resolver.js'
import {
  isConnectionHeader,
  isPlainObject,
  isValidHeaderName,
  isValidHeaderValue,
  optionalBoolean,
  optionalEnum,
  optionalHeaders,
  optionalPositiveInteger,
  optionalString,
  rejectUnknownKeys
} from './validate.js'

const EXPORTER_KEYS = [
  'endpoint',
  'insecure',
  'timeoutMillis',
  'headers',
  'compression',
  'certificateFile',
  'clientKeyFile',
  'clientCertificateFile',
  'retry'
]
const RETRY_KEYS = ['maxAttempts', 'initialBackoffMillis', 'maxBackoffMillis']
const REDACTED = '[REDACTED]'

/** Which signal's variables apply first: OTEL_EXPORTER_OTLP_TRACES_*, or _LOGS_. */
export type OtlpSignalName = 'TRACES' | 'LOGS'

/**
 * Where spans go: an exporter instance, or OTLP/gRPC settings from options and OTEL_EXPORTER_OTLP_*.
 * Header values are returned apart: the resolved config only shows them redacted.
 */
export function resolveExporter (
  r: Resolver,
  options: SdkOptions
): { config: ResolvedExporterConfig; headers: Record<string, string>; instance: SpanExporter | undefined } {
  let instance: SpanExporter | undefined
  const raw = options.exporter as unknown
  if (
    raw !== undefined &&
    raw !== null &&
    typeof raw === 'object' &&
    typeof (raw as SpanExporter).export === 'function'
  ) {
    instance = raw as SpanExporter
  }
  const otlp = otlpOptions(options)
  const kind = r.setting<ExporterKind>(
    'exporter',
    instance === undefined ? undefined : 'custom',
    ['OTEL_TRACES_EXPORTER'],
    parseExporterKind,
    'otlp-grpc',
    String
  )
  if (kind.source === 'env') warnOfExtraExporters(r, 'OTEL_TRACES_EXPORTER')
  const { config, headers } = resolveOtlpSettings(r, otlp, 'TRACES', kind)
  return { config, headers, instance: kind.value === 'custom' ? instance : undefined }
}

/**
 * The `exporter` option's OTLP settings, validated: an object of them, or {} when the option is an
 * exporter instance or absent. Log export uses the same settings.
 */
export function otlpOptions (options: SdkOptions): Record<string, unknown> {
  const raw = options.exporter as unknown
  if (raw === undefined) return {}
  if (raw !== null && typeof raw === 'object' && typeof (raw as SpanExporter).export === 'function') return {}
  if (!isPlainObject(raw)) throw invalidOption('exporter', 'an object of OTLP settings or a SpanExporter instance', raw)
  rejectUnknownKeys('exporter', raw, EXPORTER_KEYS)
  return raw
}

/**
 * The OTLP/gRPC settings of one signal: its own variables (OTEL_EXPORTER_OTLP_LOGS_ENDPOINT), then
 * the general ones (OTEL_EXPORTER_OTLP_ENDPOINT), then the `exporter` option, then the defaults.
 */
export function resolveOtlpSettings (
  r: Resolver,
  otlp: Record<string, unknown>,
  signalName: OtlpSignalName,
  kind: Setting<ExporterKind>
): { config: ResolvedExporterConfig; headers: Record<string, string> } {
  const signal = (suffix: string): string[] => [
    `OTEL_EXPORTER_OTLP_${signalName}_${suffix}`,
    `OTEL_EXPORTER_OTLP_${suffix}`
  ]
  const protocol =
    readEnv(r.env, `OTEL_EXPORTER_OTLP_${signalName}_PROTOCOL`) ?? readEnv(r.env, 'OTEL_EXPORTER_OTLP_PROTOCOL')
  if (protocol !== undefined && protocol !== 'grpc' && kind.value === 'otlp-grpc') {
    const alternative =
      signalName === 'TRACES'
        ? 'an OTLPTraceExporter from @opentelemetry/exporter-trace-otlp-http as option exporter'
        : 'an OTLPLogExporter from @opentelemetry/exporter-logs-otlp-http as option logs.exporter'
    r.warnings.push(
      `OTEL_EXPORTER_OTLP_PROTOCOL=${JSON.stringify(protocol)} is not supported: this plugin exports over OTLP/gRPC. ` +
        `For OTLP/HTTP, pass ${alternative}.`
    )
  }

  const endpointOption = optionalString('exporter.endpoint', otlp.endpoint)
  if (endpointOption !== undefined) {
    const parsed = parseEndpoint(endpointOption)
    if (!parsed.ok) {
      throw invalidOption(
        'exporter.endpoint',
        `an http:// or https:// URL or host:port (${parsed.reason})`,
        redactEndpoint(endpointOption)
      )
    }
  }
  const endpoint = r.setting(
    'exporter.endpoint',
    endpointOption,
    signal('ENDPOINT'),
    (v) => {
      const p = parseEndpoint(v)
      return p.ok ? { ok: true, value: v } : p
    },
    DEFAULT_OTLP_GRPC_ENDPOINT,
    (v) => JSON.stringify(redactEndpoint(v)),
    (v) => JSON.stringify(redactEndpoint(v))
  )
  const insecure = r.setting(
    'exporter.insecure',
    optionalBoolean('exporter.insecure', otlp.insecure),
    signal('INSECURE'),
    parseBoolean,
    false,
    String
  )
  const timeoutMillis = r.setting(
    'exporter.timeoutMillis',
    optionalPositiveInteger('exporter.timeoutMillis', otlp.timeoutMillis),
    signal('TIMEOUT'),
    parsePositiveInteger,
    DEFAULT_EXPORTER_TIMEOUT_MILLIS,
    String
  )
  const compression = r.setting<'gzip' | 'none'>(
    'exporter.compression',
    optionalEnum('exporter.compression', otlp.compression, ['gzip', 'none'] as const),
    signal('COMPRESSION'),
    (v) => parseEnum(v, ['gzip', 'none'] as const),
    'none',
    String
  )
  const fileSetting = (key: string, suffix: string): Setting<string | undefined> =>
    r.setting<string | undefined>(
      `exporter.${key}`,
      optionalString(`exporter.${key}`, otlp[key]),
      signal(suffix),
      (v) => ({ ok: true, value: v }),
      undefined
    )
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
  return { config, headers: headers.value }
}

function resolveRetry (raw: unknown): ResolvedExporterConfig['retry'] {
  const defaults = {
    maxAttempts: DEFAULT_RETRY_POLICY.maxAttempts,
    initialBackoffMillis: DEFAULT_RETRY_POLICY.initialBackoffMillis,
    maxBackoffMillis: DEFAULT_RETRY_POLICY.maxBackoffMillis
  }
  if (raw === undefined) return { value: defaults, source: 'default' }
  if (raw === false) return { value: false, source: 'options' }
  if (!isPlainObject(raw)) throw invalidOption('exporter.retry', 'false or an object of retry settings', raw)
  rejectUnknownKeys('exporter.retry', raw, RETRY_KEYS)
  const value = {
    maxAttempts: optionalPositiveInteger('exporter.retry.maxAttempts', raw.maxAttempts) ?? defaults.maxAttempts,
    initialBackoffMillis:
      optionalPositiveInteger('exporter.retry.initialBackoffMillis', raw.initialBackoffMillis) ??
      defaults.initialBackoffMillis,
    maxBackoffMillis:
      optionalPositiveInteger('exporter.retry.maxBackoffMillis', raw.maxBackoffMillis) ?? defaults.maxBackoffMillis
  }
  if (value.maxBackoffMillis < value.initialBackoffMillis) {
    throw conflictingOptions(
      `exporter.retry.maxBackoffMillis (${value.maxBackoffMillis}) is smaller than ` +
        `initialBackoffMillis (${value.initialBackoffMillis}).`
    )
  }
  return { value, source: 'options' }
}

/**
 * The specification allows a list (`otlp,console`); this package runs one exporter per signal, so
 * the first name decides and the others are named in a warning rather than dropped unseen.
 */
export function warnOfExtraExporters (r: Resolver, name: string): void {
  const raw = readEnv(r.env, name)
  if (raw === undefined) return
  const names = parseList(raw)
  if (names.length < 2) return
  r.warnings.push(
    `${name}=${JSON.stringify(raw)} names ${names.length} exporters; this package runs one per signal: ` +
      `using ${names[0]}, ignoring ${names.slice(1).join(', ')}.`
  )
}

/** OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER: the first name decides (one exporter per signal here). */
export function parseExporterKind (raw: string): Parsed<ExporterKind> {
  const names = parseList(raw)
  const first = names[0]
  if (first === 'otlp') return { ok: true, value: 'otlp-grpc' }
  if (first === 'console' || first === 'none') return { ok: true, value: first }
  return { ok: false, reason: 'expected otlp, console or none' }
}

/**
 * Headers merge key by key: options, then OTEL_EXPORTER_OTLP_HEADERS, then the signal's variant.
 * A member of a variable that could not be sent (not key=value, a name or a value gRPC metadata
 * refuses) is skipped with a warning and the others are applied: the warning says exactly what
 * is sent, and nothing in the environment can make the exporter throw at registration.
 */
function resolveHeaders (
  r: Resolver,
  fromOptions: Record<string, string> | undefined,
  envNames: string[]
): Setting<Record<string, string>> {
  // A Map, so that any key a variable may hold (`__proto__` included) is sent as it says.
  const merged = new Map(Object.entries(fromOptions ?? {}))
  /** Which variable set each key last: the signal's variant wins over the generic one silently. */
  const setBy = new Map<string, string>()
  let envName: string | undefined
  for (const name of [...envNames].reverse()) {
    const raw = readEnv(r.env, name)
    if (raw === undefined) continue
    const parsed = parseKeyValueList(raw, headerProblem)
    if (parsed.skipped.length > 0) r.warnings.push(skippedMembersWarning(name, parsed))
    if (parsed.entries.length === 0) continue
    for (const [key, value] of parsed.entries) {
      merged.set(key.toLowerCase(), value)
      setBy.set(key.toLowerCase(), name)
    }
    envName = name
  }
  for (const [key, name] of setBy) {
    const option = fromOptions?.[key]
    if (option !== undefined && Object.hasOwn(fromOptions!, key) && option !== merged.get(key)) {
      r.warnings.push(
        `${name} overrides option exporter.headers["${key}"]: ` +
          `using ${REDACTED} from the environment instead of ${REDACTED} from the plugin options.`
      )
    }
  }
  const value = Object.fromEntries(merged)
  if (envName !== undefined) return { value, source: 'env', env: envName }
  return { value, source: fromOptions === undefined ? 'default' : 'options' }
}

/** What gRPC metadata (grpc-js `Metadata.set`) would refuse, said without the member's text. */
function headerProblem (key: string, value: string): string | undefined {
  const lower = key.toLowerCase()
  if (!isValidHeaderName(lower)) return 'not a valid header name'
  if (isConnectionHeader(lower)) return 'a connection header, which HTTP/2 forbids'
  if (!isValidHeaderValue(value)) return 'the value, percent-decoded, is not printable ASCII'
  return undefined
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
    if (bothFromOptions(insecure)) { throw conflictingOptions(`${message} Use an http:// endpoint for plaintext, or drop insecure.`) }
    r.warnings.push(`${message} insecure is ignored.`)
  }
  const plaintext = scheme === 'http' || (scheme === undefined && insecure.value)
  const [certificate, clientKey, clientCertificate] = files as [
    Setting<string | undefined>,
    Setting<string | undefined>,
    Setting<string | undefined>
  ]
  for (const file of [certificate, clientKey, clientCertificate]) {
    if (file.value === undefined || !plaintext) continue
    const message =
      `a TLS file is configured (${file.source === 'env' ? file.env : 'option'}) ` +
      `but the endpoint ${JSON.stringify(redactEndpoint(endpoint.value))} is plaintext.`
    if (bothFromOptions(file)) throw conflictingOptions(`${message} Use an https:// endpoint for TLS.`)
    r.warnings.push(`${message} The file is not used.`)
  }
  if ((clientKey.value === undefined) !== (clientCertificate.value === undefined)) {
    const message = 'mutual TLS needs both exporter.clientKeyFile and exporter.clientCertificateFile.'
    if (clientKey.source !== 'env' && clientCertificate.source !== 'env') {
      throw conflictingOptions(`${message} Set both, or neither.`)
    }
    r.warnings.push(`${message} The client certificate is not used.`)
  }
}
