import {
  BATCH_PRESETS,
  BATCH_PRESET_NAMES,
  type BatchValues,
  DEFAULT_BATCH_PRESET,
  DEFAULT_EXPORT_TIMEOUT_MILLIS,
  DEFAULT_MAX_QUEUE_BYTES
} from './defaults.js'
import { clampSetting, optionalDuration, parseDurationMillis, resolveDuration } from './durations.js'
import { parsePositiveInteger } from './env-values.js'
import { batchLimits, invalidOption } from '../errors.js'
import type { BatchPreset, ConfigSource, ResolvedBatchConfig, ResolvedLogBatchConfig, Setting } from './options.js'
import type { Resolver } from './resolver.js'
import { isPlainObject, optionalEnum, optionalPositiveInteger, rejectUnknownKeys } from './validate.js'

const LIMIT_KEYS = ['maxQueueSize', 'scheduledDelayMillis', 'maxExportBatchSize', 'exportTimeoutMillis'] as const
const BATCH_KEYS = ['preset', ...LIMIT_KEYS, 'maxQueueBytes']

type LimitKey = (typeof LIMIT_KEYS)[number]

/** The variables of one queue, by setting (OTEL_BSP_* for spans, OTEL_BLRP_* for log records). */
export type BatchEnvNames = Readonly<Record<LimitKey, string>>

const SPAN_ENV: BatchEnvNames = {
  maxQueueSize: 'OTEL_BSP_MAX_QUEUE_SIZE',
  scheduledDelayMillis: 'OTEL_BSP_SCHEDULE_DELAY',
  maxExportBatchSize: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  exportTimeoutMillis: 'OTEL_BSP_EXPORT_TIMEOUT'
}

/** The batch processor's limits: a preset, single values from options, then OTEL_BSP_*. */
export function resolveBatch (r: Resolver, raw: unknown): ResolvedBatchConfig {
  let presetOption: BatchPreset | undefined
  let explicit: Record<string, unknown> = {}
  if (typeof raw === 'string' || raw === undefined) {
    presetOption = optionalEnum('batch', raw, BATCH_PRESET_NAMES)
  } else {
    if (!isPlainObject(raw)) {
      throw invalidOption('batch', `one of ${BATCH_PRESET_NAMES.join(', ')} or an object of batch settings`, raw)
    }
    rejectUnknownKeys('batch', raw, BATCH_KEYS)
    presetOption = optionalEnum('batch.preset', raw.preset, BATCH_PRESET_NAMES)
    explicit = raw
  }
  const presetName = presetOption ?? DEFAULT_BATCH_PRESET
  const presetSource: ConfigSource = presetOption === undefined ? 'default' : 'options'
  const limits = resolveBatchLimits(r, 'batch', explicit, BATCH_PRESETS[presetName], presetSource, SPAN_ENV)
  // The preset stands only if no value of it was changed, by the options or by the environment: a
  // value written next to a written preset shares its source, so the values are compared too.
  const preset = BATCH_PRESETS[presetName]
  const changes = (['maxQueueSize', 'scheduledDelayMillis', 'maxExportBatchSize'] as const)
    .filter((name) => !(limits[name].source === presetSource && limits[name].value === preset[name]))
    .map((name) => limits[name])
  // 'custom' comes from where the changes came from: the options when they made one, else the
  // first variable or the configuration file's place (a file's batch settings are no option).
  const changed = changes.find((setting) => setting.source === 'options') ?? changes[0]
  const { source, env, path } = changed ?? { source: presetSource }
  return {
    preset: {
      value: changed === undefined ? presetName : 'custom',
      source,
      ...(env === undefined ? {} : { env }),
      ...(path === undefined ? {} : { path })
    },
    ...limits
  }
}

/**
 * One queue's four limits: the environment, else the options (`explicit`, validated here under
 * `key`), else `base` (a preset or the specification's defaults; its values keep `baseSource`).
 */
export function resolveBatchLimits (
  r: Resolver,
  key: string,
  explicit: Record<string, unknown>,
  base: BatchValues,
  baseSource: ConfigSource,
  env: BatchEnvNames
): ResolvedLogBatchConfig {
  const value = (name: Exclude<LimitKey, 'exportTimeoutMillis'>): Setting<number> => {
    const delay = name === 'scheduledDelayMillis'
    const fromOptions = (delay ? optionalDuration : optionalPositiveInteger)(`${key}.${name}`, explicit[name])
    const parse = delay ? parseDurationMillis : parsePositiveInteger
    // A preset the options chose is the options' value: a variable that overrides it is warned about.
    const chosen = fromOptions ?? (baseSource === 'options' ? base[name] : undefined)
    let setting = r.setting(`${key}.${name}`, chosen, [env[name]], parse, base[name], String)
    if (delay) setting = clampSetting(r, `${key}.${name}`, setting)
    // A value that came from the preset is as much the user's choice as the preset was.
    return setting.source === 'default' ? { value: setting.value, source: baseSource } : setting
  }
  const maxQueueSize = value('maxQueueSize')
  let maxExportBatchSize = value('maxExportBatchSize')
  const scheduledDelayMillis = value('scheduledDelayMillis')
  const exportTimeoutMillis = resolveDuration(
    r,
    `${key}.exportTimeoutMillis`,
    explicit.exportTimeoutMillis,
    [env.exportTimeoutMillis],
    DEFAULT_EXPORT_TIMEOUT_MILLIS
  )

  if (maxExportBatchSize.value > maxQueueSize.value) {
    // Two sizes written in the code that contradict each other are a bug to fix; anything else
    // (an environment value, a preset's batch next to a smaller queue) is clamped, as the
    // specification asks and OpenTelemetry JS does: a batch is taken from the queue.
    const batchWritten = explicit.maxExportBatchSize !== undefined && maxExportBatchSize.source === 'options'
    if (batchWritten && maxQueueSize.source !== 'env') {
      throw batchLimits(key, maxExportBatchSize.value, maxQueueSize.value)
    }
    const from = (setting: Setting<number>): string =>
      setting.source === 'env' ? setting.env! : setting.source === 'options' ? 'the plugin options' : 'the default'
    if (maxExportBatchSize.source === 'env' || maxQueueSize.source === 'env') {
      r.warnings.push(
        `${key}.maxExportBatchSize ${maxExportBatchSize.value} (${from(maxExportBatchSize)}) ` +
          `is larger than ${key}.maxQueueSize ${maxQueueSize.value} (${from(maxQueueSize)}); ` +
          `using ${maxQueueSize.value}, the queue's size, as the batch size.`
      )
    }
    // A batch size someone set keeps its source; one taken from a preset now comes from the queue.
    const batchSet = maxExportBatchSize.source === 'env' || batchWritten
    maxExportBatchSize = batchSet ? { ...maxExportBatchSize, value: maxQueueSize.value } : { ...maxQueueSize }
  }
  return {
    maxQueueSize,
    scheduledDelayMillis,
    maxExportBatchSize,
    exportTimeoutMillis,
    maxQueueBytes: queueBytes(key, explicit)
  }
}

/**
 * The queue's byte bound: an option only (the specification has no variable for it), a positive
 * integer or Infinity for none.
 */
function queueBytes (key: string, explicit: Record<string, unknown>): Setting<number> {
  const raw = explicit.maxQueueBytes
  if (raw === undefined) return { value: DEFAULT_MAX_QUEUE_BYTES, source: 'default' }
  if (raw !== Infinity && (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw <= 0)) {
    throw invalidOption(`${key}.maxQueueBytes`, 'a positive integer (bytes) or Infinity', raw)
  }
  return { value: raw, source: 'options' }
}

/** The keys of a queue's settings object (for `logs.batch`, which has no presets). */
export const BATCH_LIMIT_KEYS: readonly string[] = [...LIMIT_KEYS, 'maxQueueBytes']
