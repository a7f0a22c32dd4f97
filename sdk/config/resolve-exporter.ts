import { isIP } from 'node:net'
import type { SpanExporter } from '@opentelemetry/sdk-trace'
import { conflictingOptions, invalidOption, invalidOptionDescribed } from '../errors.js'
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_BUDGET_MILLIS, DEFAULT_RETRY_POLICY } from './retry-policy.js'
import {
  DEFAULT_EXPORTER_TIMEOUT_MILLIS,
  DEFAULT_OTLP_GRPC_ENDPOINT,
  DEFAULT_OTLP_HTTP_ENDPOINT,
  DEFAULT_OTLP_PROTOCOL,
  OTLP_PROTOCOLS
} from './defaults.js'
import { clampSetting, optionalDuration, parseDurationMillis } from './durations.js'
import {
  appendSignalPath,
  endpointPort,
  endpointScheme,
  type OtlpEndpoint,
  parseOtlpEndpoint,
  redactEndpoint
} from './endpoint.js'
import {
  type Parsed,
  parseBoolean,
  parseEnum,
  parseKeyValueList,
  parseList,
  readEnv,
  skippedMembersWarning
} from './env-values.js'
import { oversizedHeaders } from './header-limits.js'
import type { ExporterKind, OtlpProtocol, ResolvedExporterConfig, SdkOptions, Setting } from './options.js'
import { Resolver } from './resolver.js'
import {
  isConnectionHeader,
  isPlainObject,
  isValidHeaderName,
  isValidHeaderValue,
  looksLikePemContent,
  optionalBoolean,
  optionalEnum,
  optionalFilePath,
  optionalHeaders,
  optionalPlainObject,
  optionalPositiveInteger,
  optionalString,
  PEM_CONTENT_REASON,
  rejectUnknownKeys,
  shownTlsPath
} from './validate.js'

/**
 * The settings a signal may have of its own (`exporter.traces`, `exporter.logs`), as
 * OTEL_EXPORTER_OTLP_<SIGNAL>_* do.
 */
const SIGNAL_KEYS = [
  'protocol',
  'endpoint',
  'insecure',
  'timeoutMillis',
  'headers',
  'compression',
  'certificateFile',
  'clientKeyFile',
  'clientCertificateFile'
]
/** The signals that have settings of their own under `exporter`. */
const SIGNAL_OPTION_KEYS = ['traces', 'logs', 'metrics']
const EXPORTER_KEYS = [...SIGNAL_KEYS, 'retry', ...SIGNAL_OPTION_KEYS]
const RETRY_KEYS = ['maxAttempts', 'initialBackoffMillis', 'maxBackoffMillis', 'budgetMillis']
const REDACTED = '[REDACTED]'

/** Which signal's variables apply first: OTEL_EXPORTER_OTLP_TRACES_*, _LOGS_ or _METRICS_. */
export type OtlpSignalName = 'TRACES' | 'LOGS' | 'METRICS'

/** Per signal: the path OTLP/HTTP appends to a base endpoint, its option key and its noun. */
export const OTLP_SIGNALS: Readonly<Record<OtlpSignalName, { path: string; key: string; noun: string }>> =
  Object.freeze({
    TRACES: Object.freeze({ path: 'v1/traces', key: 'traces', noun: 'span' }),
    LOGS: Object.freeze({ path: 'v1/logs', key: 'logs', noun: 'log record' }),
    METRICS: Object.freeze({ path: 'v1/metrics', key: 'metrics', noun: 'metric' })
  })

/**
 * Where spans go: an exporter instance, or OTLP settings from options and OTEL_EXPORTER_OTLP_*.
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
    'otlp',
    String
  )
  if (kind.source === 'env') warnOfExtraExporters(r, 'OTEL_TRACES_EXPORTER')
  const { config, headers } = resolveOtlpSettings(r, otlp, 'TRACES', kind)
  return { config, headers, instance: config.kind.value === 'custom' ? instance : undefined }
}

/**
 * The `exporter` option's OTLP settings, validated: an object of them, or {} when the option is an
 * exporter instance or absent. Every signal's OTLP export reads them.
 */
export function otlpOptions (options: SdkOptions): Record<string, unknown> {
  const raw = options.exporter as unknown
  if (raw === undefined) return {}
  if (raw !== null && typeof raw === 'object' && typeof (raw as SpanExporter).export === 'function') return {}
  if (!isPlainObject(raw)) throw invalidOption('exporter', 'an object of OTLP settings or a SpanExporter instance', raw)
  rejectUnknownKeys('exporter', raw, EXPORTER_KEYS)
  for (const key of SIGNAL_OPTION_KEYS) {
    const own = optionalPlainObject(`exporter.${key}`, raw[key])
    if (own !== undefined) rejectUnknownKeys(`exporter.${key}`, own, SIGNAL_KEYS)
  }
  return raw
}

/**
 * One signal's OTLP settings, each from the first of: the signal's variable
 * (OTEL_EXPORTER_OTLP_LOGS_TIMEOUT), the general one (OTEL_EXPORTER_OTLP_TIMEOUT), the signal's
 * option (`exporter.logs.timeoutMillis`), the shared option (`exporter.timeoutMillis`), the
 * default. Any signal can call it (metrics included): the protocol, then the endpoint for that
 * protocol, then the rest.
 *
 * An endpoint that cannot be used is an error when the options give it; from the environment it
 * turns the signal's export off (`kind` none, naming the variable), and so do headers with no
 * endpoint to send them to: a credential never goes to a default address.
 */
export function resolveOtlpSettings (
  r: Resolver,
  otlp: Record<string, unknown>,
  signalName: OtlpSignalName,
  kind: Setting<ExporterKind>
): { config: ResolvedExporterConfig; headers: Record<string, string> } {
  const signal = OTLP_SIGNALS[signalName]
  const envNames = (suffix: string): string[] => [
    `OTEL_EXPORTER_OTLP_${signalName}_${suffix}`,
    `OTEL_EXPORTER_OTLP_${suffix}`
  ]
  const own = (optionalPlainObject(`exporter.${signal.key}`, otlp[signal.key]) ?? {}) as Record<string, unknown>
  /** The signal's own option if set, else the shared one: its key (for messages) and value. */
  const option = (name: string): { key: string; value: unknown } =>
    own[name] !== undefined
      ? { key: `exporter.${signal.key}.${name}`, value: own[name] }
      : { key: `exporter.${name}`, value: otlp[name] }
  // Options are checked whichever source wins: a mistake in the code fails at registration.
  const validated = <T>(name: string, check: (key: string, value: unknown) => T | undefined): T | undefined => {
    check(`exporter.${name}`, otlp[name])
    const chosen = option(name)
    return check(chosen.key, chosen.value)
  }

  const protocolOption = option('protocol')
  const protocol = r.setting<OtlpProtocol>(
    protocolOption.key,
    validated('protocol', (key, value) => optionalEnum(key, value, OTLP_PROTOCOLS)),
    envNames('PROTOCOL'),
    (v) => parseEnum(v, OTLP_PROTOCOLS),
    DEFAULT_OTLP_PROTOCOL,
    String
  )

  // A signal that is not exported over OTLP shows where it would go, without notices about it.
  const exporting = kind.value === 'otlp'
  const endpointResolver = exporting ? r : new Resolver(r.env)
  const endpointChoice = resolveEndpoint(endpointResolver, signalName, protocol, own, otlp, exporting)
  const insecureOption = option('insecure')
  const insecure = r.setting(
    insecureOption.key,
    validated('insecure', optionalBoolean),
    envNames('INSECURE'),
    parseBoolean,
    false,
    String
  )
  const timeoutOption = option('timeoutMillis')
  const timeoutMillis = clampSetting(
    r,
    timeoutOption.key,
    r.setting(
      timeoutOption.key,
      validated('timeoutMillis', optionalDuration),
      envNames('TIMEOUT'),
      parseDurationMillis,
      DEFAULT_EXPORTER_TIMEOUT_MILLIS,
      String
    )
  )
  const compressionOption = option('compression')
  const compression = r.setting<'gzip' | 'none'>(
    compressionOption.key,
    validated('compression', (key, value) => optionalEnum(key, value, ['gzip', 'none'] as const)),
    envNames('COMPRESSION'),
    (v) => parseEnum(v, ['gzip', 'none'] as const),
    'none',
    String
  )
  const fileSetting = (name: string, suffix: string): Setting<string | undefined> => {
    const chosen = option(name)
    const setting = r.setting<string | undefined>(
      chosen.key,
      validated(name, optionalFilePath),
      envNames(suffix),
      (v) => (looksLikePemContent(v) ? { ok: false, reason: PEM_CONTENT_REASON } : { ok: true, value: v }),
      undefined,
      (v) => (v === undefined ? 'no file' : shownTlsPath(v)),
      (raw) => (looksLikePemContent(raw) ? '(not shown)' : shownTlsPath(raw))
    )
    // A file the options name is named in errors by the option that set it.
    return setting.source === 'options' ? { ...setting, option: chosen.key } : setting
  }
  const certificateFile = fileSetting('certificateFile', 'CERTIFICATE')
  const clientKeyFile = fileSetting('clientKeyFile', 'CLIENT_KEY')
  const clientCertificateFile = fileSetting('clientCertificateFile', 'CLIENT_CERTIFICATE')
  const sharedHeaders = optionalHeaders('exporter.headers', otlp.headers)
  const ownHeaders = optionalHeaders(`exporter.${signal.key}.headers`, own.headers)
  const headers = resolveHeaders(
    r,
    sharedHeaders === undefined && ownHeaders === undefined ? undefined : { ...sharedHeaders, ...ownHeaders },
    envNames('HEADERS')
  )

  let resolvedKind = endpointChoice.disabled ?? kind
  const endpoint = endpointChoice.endpoint
  if (resolvedKind.value === 'otlp') {
    resolvedKind = credentialWithoutEndpoint(r, signalName, endpoint, headers, protocol) ?? resolvedKind
  }
  if (resolvedKind.value === 'otlp') {
    checkTransportSecurity(r, endpoint, insecure, protocol, certificateFile, clientKeyFile, clientCertificateFile)
    const oversized = oversizedHeaders(headers.value, protocol.value, describeHeadersSource(headers))
    for (const warning of oversized) r.warn(warning)
  }

  const config: ResolvedExporterConfig = {
    kind: resolvedKind,
    protocol,
    endpoint,
    insecure,
    timeoutMillis,
    headers: { ...headers, value: Object.fromEntries(Object.keys(headers.value).map((k) => [k, REDACTED])) },
    compression,
    certificateFile,
    clientKeyFile,
    clientCertificateFile,
    retry: resolveRetry(r, otlp.retry)
  }
  return { config, headers: headers.value }
}

/** The default endpoint of a protocol, for one signal: as sent. */
export function defaultEndpoint (protocol: OtlpProtocol, signalName: OtlpSignalName): string {
  return protocol === 'grpc'
    ? DEFAULT_OTLP_GRPC_ENDPOINT
    : appendSignalPath(new URL(DEFAULT_OTLP_HTTP_ENDPOINT), OTLP_SIGNALS[signalName].path)
}

/** One place an endpoint may come from, in precedence order. */
interface EndpointCandidate {
  raw: string
  /** A base endpoint (the signal's path is appended for HTTP), or the signal's own, used as given. */
  base: boolean
  source: 'env' | 'options'
  /** The variable, or the option's key. */
  name: string
}

/**
 * The signal's endpoint for its protocol, as the exporter will use it. The first source that is
 * set decides; when it is not usable, nothing below it is tried: an unusable option is an error,
 * an unusable variable turns this signal's export off. Either way the value is never shown.
 */
function resolveEndpoint (
  r: Resolver,
  signalName: OtlpSignalName,
  protocol: Setting<OtlpProtocol>,
  own: Record<string, unknown>,
  otlp: Record<string, unknown>,
  exporting: boolean
): { endpoint: Setting<string>; disabled?: Setting<ExporterKind> } {
  const signal = OTLP_SIGNALS[signalName]
  const ownKey = `exporter.${signal.key}.endpoint`
  const candidates: EndpointCandidate[] = []
  const variables = [
    [`OTEL_EXPORTER_OTLP_${signalName}_ENDPOINT`, false],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', true]
  ] as const
  for (const [name, base] of variables) {
    const raw = readEnv(r.env, name)
    if (raw !== undefined) candidates.push({ raw, base, source: 'env', name })
  }
  const options: EndpointCandidate[] = []
  const optionEndpoints = [
    [ownKey, own.endpoint, false],
    ['exporter.endpoint', otlp.endpoint, true]
  ] as const
  for (const [key, value, base] of optionEndpoints) {
    const raw = optionalString(key, value)
    if (raw !== undefined) options.push({ raw, base, source: 'options', name: key })
  }
  // Every option is checked, whichever source wins: a mistake in the code fails at registration.
  for (const candidate of options) {
    const parsed = parseOtlpEndpoint(candidate.raw.trim(), exporting ? protocol.value : 'grpc')
    if (!parsed.ok) {
      throw invalidOptionDescribed(
        candidate.name,
        protocol.value === 'grpc' || !exporting
          ? 'an http:// or https:// URL, or host:port'
          : `an http:// or https:// URL (the protocol is ${protocol.value})`,
        `something else: ${parsed.reason} (the value is not shown: it may hold a secret)`
      )
    }
  }
  candidates.push(...options)
  const chosen = candidates[0]
  const fallback = defaultEndpoint(protocol.value, signalName)
  if (chosen === undefined) return { endpoint: { value: fallback, source: 'default' } }
  const parsed = parseOtlpEndpoint(chosen.raw, protocol.value)
  if (!parsed.ok && !exporting) return { endpoint: { value: fallback, source: 'default' } }
  if (!parsed.ok) {
    // Only a variable gets here: options were checked above.
    r.warn({
      code: 'FOK_WARN_EXPORT_DISABLED',
      message:
        `${chosen.name} is not a usable endpoint for ${protocol.value} (${parsed.reason}; the value is not shown): ` +
        `${signal.noun} export is off. Set it to the collector's http:// or https:// URL, or unset it.`
    })
    return {
      endpoint: { value: '', source: 'env', env: chosen.name },
      disabled: { value: 'none', source: 'env', env: chosen.name }
    }
  }
  const value = endpointFor(r, chosen, parsed.value, protocol.value, signal.path)
  // Another source that set the same thing is overridden: say so, as every setting does.
  const overridden = candidates.find((c) => c.source === 'options')
  if (chosen.source === 'env' && overridden !== undefined) {
    r.warnings.push(
      `${chosen.name} overrides option ${overridden.name}: ` +
        `using ${JSON.stringify(redactEndpoint(value))} from the environment ` +
        `instead of ${JSON.stringify(redactEndpoint(overridden.raw))} from the plugin options.`
    )
  }
  warnOfProtocolPort(r, protocol, parsed.value, chosen)
  warnOfGrpcTlsToAddress(r, protocol, parsed.value, chosen)
  return {
    endpoint:
      chosen.source === 'env' ? { value, source: 'env', env: chosen.name } : { value, source: 'options' }
  }
}

/** The URL as sent: HTTP appends the signal's path to a base; gRPC keeps scheme, host and port. */
function endpointFor (
  r: Resolver,
  chosen: EndpointCandidate,
  endpoint: OtlpEndpoint,
  protocol: OtlpProtocol,
  signalPath: string
): string {
  const { url } = endpoint
  const where = chosen.source === 'env' ? chosen.name : `option ${chosen.name}`
  if (protocol === 'grpc') {
    if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '') {
      r.warnings.push(
        `${where} has a path, which gRPC does not use: exporting to ${url.protocol}//${url.host} (the path is ignored).`
      )
    }
    return endpoint.hasScheme ? `${url.protocol}//${url.host}` : chosen.raw
  }
  if (!chosen.base) {
    if (url.pathname === '/' || url.pathname === '') {
      r.warnings.push(
        `${where} has no path: a signal's own endpoint is used as given, so requests go to /. ` +
          `Write the whole URL (.../${signalPath}), or set the base endpoint instead, ` +
          `which gets /${signalPath} appended.`
      )
    }
    return chosen.raw
  }
  if (url.pathname.replace(/\/+$/, '').endsWith(`/${signalPath}`)) {
    r.warnings.push(
      `${where} already ends in /${signalPath}; a base endpoint gets /${signalPath} appended, so requests go to ` +
        `.../${signalPath}/${signalPath}. Set the base (the URL without /${signalPath}), or the signal's own endpoint.`
    )
  }
  return appendSignalPath(url, signalPath)
}

/**
 * The usual mix-up of the two OTLP ports: 4317 is gRPC's, 4318 OTLP/HTTP's. An HTTP request to a
 * gRPC port fails; a gRPC call to an HTTP port hangs until the deadline. The fix is named.
 */
function warnOfProtocolPort (
  r: Resolver,
  protocol: Setting<OtlpProtocol>,
  endpoint: OtlpEndpoint,
  chosen: EndpointCandidate
): void {
  const port = endpointPort(endpoint)
  const where = chosen.source === 'env' ? chosen.name : `option ${chosen.name}`
  if (port === 4317 && protocol.value !== 'grpc' && protocol.source === 'default') {
    r.warn({
      code: 'FOK_WARN_PROTOCOL_PORT',
      message:
        `${where} uses port 4317, OTLP/gRPC's port, but no protocol is set and the default is ${protocol.value}. ` +
        "For a gRPC collector set OTEL_EXPORTER_OTLP_PROTOCOL=grpc (option exporter.protocol: 'grpc'); " +
        'for OTLP/HTTP use port 4318.'
    })
  }
  if (port === 4318 && protocol.value === 'grpc') {
    const set =
      protocol.source === 'env' ? protocol.env : protocol.source === 'options' ? 'the plugin options' : 'the default'
    r.warn({
      code: 'FOK_WARN_PROTOCOL_PORT',
      message:
        `${where} uses port 4318, OTLP/HTTP's port, but the protocol is grpc (from ${set}). ` +
        'For OTLP/HTTP set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (or leave it unset); for gRPC use port 4317.'
    })
  }
}

/**
 * grpc-js sends the endpoint's host as the TLS server name (SNI), an IP address too, which RFC 6066
 * does not allow: Node 26 refuses the connection (every export fails, as UNAVAILABLE), Node 22 and
 * 24 accept it with a deprecation warning (DEP0123). Said at registration, with the way out.
 */
function warnOfGrpcTlsToAddress (
  r: Resolver,
  protocol: Setting<OtlpProtocol>,
  endpoint: OtlpEndpoint,
  chosen: EndpointCandidate
): void {
  // Only an https:// URL is sure to be TLS here; a scheme-less host:port is TLS unless `insecure`
  // says otherwise, which is resolved later: that form is left unsaid rather than guessed.
  if (protocol.value !== 'grpc' || !endpoint.hasScheme || endpoint.url.protocol !== 'https:') return
  const host = endpoint.url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) === 0) return
  const where = chosen.source === 'env' ? chosen.name : `option ${chosen.name}`
  r.warnings.push(
    `${where} names an IP address (${host}) for OTLP/gRPC over TLS: grpc-js sends it as the TLS server name, ` +
      'which Node 26 refuses (every export fails) and Node 22 and 24 accept with a deprecation warning. Use a ' +
      "host name the collector's certificate names (localhost on this machine), or OTLP/HTTP."
  )
}

/**
 * Headers from the user and no endpoint from the user: the credential would go to a default
 * address (localhost, in plaintext), which nobody named. From options an error; from the
 * environment this signal's export is off.
 */
function credentialWithoutEndpoint (
  r: Resolver,
  signalName: OtlpSignalName,
  endpoint: Setting<string>,
  headers: Setting<Record<string, string>>,
  protocol: Setting<OtlpProtocol>
): Setting<ExporterKind> | undefined {
  if (endpoint.source !== 'default' || Object.keys(headers.value).length === 0) return undefined
  const signal = OTLP_SIGNALS[signalName]
  if (headers.source !== 'env') {
    throw conflictingOptions(
      `exporter.headers are set but no endpoint is: they would be sent to the default ${endpoint.value}. ` +
        `Set exporter.endpoint (or exporter.${signal.key}.endpoint) to the collector the headers are for.`
    )
  }
  r.warn({
    code: 'FOK_WARN_EXPORT_DISABLED',
    message:
      `${headers.env} sets headers but no endpoint is set for ${signal.noun}s: ` +
      `${signal.noun} export is off rather than ` +
      `sending them to the default ${endpoint.value} (${protocol.value}). Set OTEL_EXPORTER_OTLP_ENDPOINT ` +
      `(or OTEL_EXPORTER_OTLP_${signalName}_ENDPOINT) to the collector the headers are for.`
  })
  return { value: 'none', source: 'env', env: headers.env }
}

function describeHeadersSource (headers: Setting<Record<string, string>>): string {
  return headers.source === 'env' ? headers.env! : 'option exporter.headers'
}

function resolveRetry (r: Resolver, raw: unknown): ResolvedExporterConfig['retry'] {
  const defaults = {
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
    initialBackoffMillis: DEFAULT_RETRY_POLICY.initialBackoffMillis,
    maxBackoffMillis: DEFAULT_RETRY_POLICY.maxBackoffMillis,
    budgetMillis: DEFAULT_RETRY_BUDGET_MILLIS
  }
  if (raw === undefined) return { value: defaults, source: 'default' }
  if (raw === false) return { value: false, source: 'options' }
  if (!isPlainObject(raw)) throw invalidOption('exporter.retry', 'false or an object of retry settings', raw)
  rejectUnknownKeys('exporter.retry', raw, RETRY_KEYS)
  const value = {
    maxAttempts: optionalPositiveInteger('exporter.retry.maxAttempts', raw.maxAttempts) ?? defaults.maxAttempts,
    initialBackoffMillis: retryDelay(
      r,
      'initialBackoffMillis',
      raw.initialBackoffMillis,
      defaults.initialBackoffMillis
    ),
    maxBackoffMillis: retryDelay(r, 'maxBackoffMillis', raw.maxBackoffMillis, defaults.maxBackoffMillis),
    budgetMillis: retryDelay(r, 'budgetMillis', raw.budgetMillis, defaults.budgetMillis)
  }
  if (value.maxBackoffMillis < value.initialBackoffMillis) {
    throw conflictingOptions(
      `exporter.retry.maxBackoffMillis (${value.maxBackoffMillis}) is smaller than ` +
        `initialBackoffMillis (${value.initialBackoffMillis}).`
    )
  }
  return { value, source: 'options' }
}

function retryDelay (r: Resolver, name: string, raw: unknown, fallback: number): number {
  const key = `exporter.retry.${name}`
  const value = optionalDuration(key, raw)
  return value === undefined ? fallback : clampSetting(r, key, { value, source: 'options' }).value
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
  if (first === 'otlp') return { ok: true, value: 'otlp' }
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
export function headerProblem (key: string, value: string): string | undefined {
  const lower = key.toLowerCase()
  if (!isValidHeaderName(lower)) return 'not a valid header name'
  if (isConnectionHeader(lower)) return 'a connection header, which HTTP/2 forbids'
  if (!isValidHeaderValue(value)) return 'the value, percent-decoded, is not printable ASCII'
  return undefined
}

/**
 * `https://` means TLS and `http://` plaintext; `insecure` only speaks for a gRPC endpoint without
 * a scheme. Contradictions in the plugin options are errors; from the environment they are warnings.
 */
function checkTransportSecurity (
  r: Resolver,
  endpoint: Setting<string>,
  insecure: Setting<boolean>,
  protocol: Setting<OtlpProtocol>,
  ...files: Array<Setting<string | undefined>>
): void {
  const scheme = endpointScheme(endpoint.value)
  const bothFromOptions = (s: Setting<unknown>): boolean => endpoint.source !== 'env' && s.source === 'options'
  if (scheme === 'https' && insecure.value) {
    const message = `exporter.insecure is true but the endpoint ${JSON.stringify(redactEndpoint(endpoint.value))} uses https://, which always means TLS.`
    if (bothFromOptions(insecure)) { throw conflictingOptions(`${message} Use an http:// endpoint for plaintext, or drop insecure.`) }
    r.warnings.push(`${message} insecure is ignored.`)
  }
  if (scheme === undefined && protocol.value !== 'grpc') return
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
