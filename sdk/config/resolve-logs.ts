import type { LogRecordExporter } from '@opentelemetry/sdk-logs'
import { invalidOption } from '../errors.js'
import {
  DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT,
  DEFAULT_LOG_ATTRIBUTE_COUNT_LIMIT,
  DEFAULT_LOG_BODY_LENGTH_LIMIT,
  LOG_BATCH_DEFAULTS
} from './defaults.js'
import { parsePositiveInteger, readEnv } from './env-values.js'
import type { ExporterKind, ResolvedLogsConfig, SdkOptions, Setting } from './options.js'
import { BATCH_LIMIT_KEYS, type BatchEnvNames, resolveBatchLimits } from './resolve-batch.js'
import { otlpOptions, parseExporterKind, resolveOtlpSettings, warnOfExtraExporters } from './resolve-exporter.js'
import { Resolver } from './resolver.js'
import { isPlainObject, optionalPlainObject, optionalPositiveInteger, rejectUnknownKeys } from './validate.js'

const LOGS_KEYS = ['batch', 'exporter', 'attributeValueLengthLimit', 'attributeCountLimit', 'bodyLengthLimit']

const LOG_BATCH_ENV: BatchEnvNames = {
  maxQueueSize: 'OTEL_BLRP_MAX_QUEUE_SIZE',
  scheduledDelayMillis: 'OTEL_BLRP_SCHEDULE_DELAY',
  maxExportBatchSize: 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
  exportTimeoutMillis: 'OTEL_BLRP_EXPORT_TIMEOUT'
}

/**
 * Log export: option `logs` and OTEL_LOGS_EXPORTER decide whether records are exported (the
 * variable wins, as every OTEL_* variable does). An unset variable leaves it to the option, off by
 * default: the specification's default for OTEL_LOGS_EXPORTER is `otlp`, but an upgrade of this
 * package must not start shipping a service's logs on its own. The OTLP settings are the spans'
 * (option `exporter`), `exporter.logs` over them, with OTEL_EXPORTER_OTLP_LOGS_* first; the
 * queue reads OTEL_BLRP_*, which
 * sdk-logs 3 does not read itself.
 *
 * Notices about the environment are only given when logs are on: a variable for a signal that is
 * off changes nothing.
 */
export function resolveLogs (
  r: Resolver,
  options: SdkOptions
): { config: ResolvedLogsConfig; headers: Record<string, string>; instance: LogRecordExporter | undefined } {
  const raw = options.logs as unknown
  if (raw !== undefined && typeof raw !== 'boolean' && !isPlainObject(raw)) {
    throw invalidOption('logs', 'true, false or an object of log settings', raw)
  }
  const settings: Record<string, unknown> = isPlainObject(raw) ? raw : {}
  rejectUnknownKeys('logs', settings, LOGS_KEYS)
  const instance = exporterInstance(settings.exporter)
  const batchOptions = optionalPlainObject('logs.batch', settings.batch) ?? {}
  rejectUnknownKeys('logs.batch', batchOptions, BATCH_LIMIT_KEYS)

  const optionEnabled = raw === undefined ? undefined : raw !== false
  const onOff = (on: boolean): string => (on ? 'on' : 'off')
  let hit: { name: string; value: ExporterKind } | undefined
  const variable = readEnv(r.env, 'OTEL_LOGS_EXPORTER')
  if (variable !== undefined) {
    const parsed = parseExporterKind(variable)
    if (parsed.ok) {
      hit = { name: 'OTEL_LOGS_EXPORTER', value: parsed.value }
      warnOfExtraExporters(r, 'OTEL_LOGS_EXPORTER')
    } else {
      r.warnings.push(
        `OTEL_LOGS_EXPORTER=${JSON.stringify(variable)} is invalid (${parsed.reason}); ignoring it: log export stays ` +
          `${onOff(optionEnabled ?? false)}, ${optionEnabled === undefined ? 'the default' : 'as option logs says'}.`
      )
    }
  }
  const enabled = r.decide(
    'logs',
    optionEnabled,
    hit === undefined ? undefined : { name: hit.name, value: hit.value !== 'none' },
    false,
    onOff
  )
  const kind: Setting<ExporterKind> = !enabled.value
    ? { ...enabled, value: 'none' }
    : r.decide<ExporterKind>('logs.exporter', instance === undefined ? undefined : 'custom', hit, 'otlp', String)

  // The OTLP settings and limits: their notices only matter when logs are on.
  const own = new Resolver(r.env)
  const otlp = resolveOtlpSettings(own, otlpOptions(options), 'LOGS', kind)
  const batch = resolveBatchLimits(own, 'logs.batch', batchOptions, LOG_BATCH_DEFAULTS, 'default', LOG_BATCH_ENV)
  const attributeValueLengthLimit = own.setting(
    'logs.attributeValueLengthLimit',
    optionalPositiveInteger('logs.attributeValueLengthLimit', settings.attributeValueLengthLimit) ??
      optionalPositiveInteger('attributeValueLengthLimit', options.attributeValueLengthLimit),
    ['OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
    parsePositiveInteger,
    DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT,
    String
  )
  const attributeCountLimit = own.setting(
    'logs.attributeCountLimit',
    optionalPositiveInteger('logs.attributeCountLimit', settings.attributeCountLimit),
    ['OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'],
    parsePositiveInteger,
    DEFAULT_LOG_ATTRIBUTE_COUNT_LIMIT,
    String
  )
  // No variable in the specification: the body is no attribute, and its limits do not apply to it.
  const bodyLimit = optionalPositiveInteger('logs.bodyLengthLimit', settings.bodyLengthLimit)
  const bodyLengthLimit: Setting<number> =
    bodyLimit === undefined
      ? { value: DEFAULT_LOG_BODY_LENGTH_LIMIT, source: 'default' }
      : { value: bodyLimit, source: 'options' }
  // The general OTEL_EXPORTER_OTLP_* notices are the spans' too: each is given once.
  if (enabled.value) {
    for (const warning of own.warnings) r.notice(warning)
    for (const warning of own.codedWarnings) r.warn(warning)
  }
  return {
    config: { enabled, exporter: otlp.config, batch, attributeValueLengthLimit, attributeCountLimit, bodyLengthLimit },
    headers: otlp.headers,
    instance: otlp.config.kind.value === 'custom' ? instance : undefined
  }
}

function exporterInstance (value: unknown): LogRecordExporter | undefined {
  if (value === undefined) return undefined
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as LogRecordExporter).export === 'function' &&
    typeof (value as LogRecordExporter).shutdown === 'function'
  ) {
    return value as LogRecordExporter
  }
  throw invalidOption('logs.exporter', 'a LogRecordExporter instance (export and shutdown methods)', value)
}
