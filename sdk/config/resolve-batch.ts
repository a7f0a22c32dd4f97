import { BATCH_PRESETS, BATCH_PRESET_NAMES, DEFAULT_BATCH_PRESET, DEFAULT_EXPORT_TIMEOUT_MILLIS } from './defaults.js'
import { parsePositiveInteger } from './env-values.js'
import { batchLimits, invalidOption } from '../errors.js'
import type { BatchPreset, ConfigSource, ResolvedBatchConfig, Setting } from './options.js'
import type { Resolver } from './resolver.js'
import { isPlainObject, optionalEnum, optionalPositiveInteger, rejectUnknownKeys } from './validate.js'

const BATCH_KEYS = ['preset', 'maxQueueSize', 'scheduledDelayMillis', 'maxExportBatchSize', 'exportTimeoutMillis']

/** The batch processor's limits: a preset, single values from options, then OTEL_BSP_*. */
export function resolveBatch (r: Resolver, raw: unknown): ResolvedBatchConfig {
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
  const value = (key: SizeKey): Setting<number> => {
    const fromOptions = optionalPositiveInteger(`batch.${key}`, explicit[key])
    const setting = r.setting(`batch.${key}`, fromOptions, [ENV[key]], parsePositiveInteger, preset[key], String)
    // A value that came from the preset is as much the user's choice as the preset was.
    return setting.source === 'default' ? { value: setting.value, source: presetSource } : setting
  }
  const maxQueueSize = value('maxQueueSize')
  let maxExportBatchSize = value('maxExportBatchSize')
  const scheduledDelayMillis = value('scheduledDelayMillis')
  const exportTimeoutMillis = r.setting(
    'batch.exportTimeoutMillis', optionalPositiveInteger('batch.exportTimeoutMillis', explicit.exportTimeoutMillis),
    ['OTEL_BSP_EXPORT_TIMEOUT'], parsePositiveInteger, DEFAULT_EXPORT_TIMEOUT_MILLIS, String
  )

  if (maxExportBatchSize.value > maxQueueSize.value) {
    // Two sizes written in the code that contradict each other are a bug to fix; anything else
    // (an environment value, a preset's batch next to a smaller queue) is clamped, as the
    // specification asks and OpenTelemetry JS does: a batch is taken from the queue.
    const batchWritten = explicit.maxExportBatchSize !== undefined && maxExportBatchSize.source === 'options'
    if (batchWritten && maxQueueSize.source !== 'env') throw batchLimits(maxExportBatchSize.value, maxQueueSize.value)
    const from = (setting: Setting<number>): string => (setting.source === 'env' ? setting.env! : setting.source === 'options' ? 'the plugin options' : 'the default')
    if (maxExportBatchSize.source === 'env' || maxQueueSize.source === 'env') {
      r.warnings.push(
        `batch.maxExportBatchSize ${maxExportBatchSize.value} (${from(maxExportBatchSize)}) is larger than batch.maxQueueSize ` +
          `${maxQueueSize.value} (${from(maxQueueSize)}); using ${maxQueueSize.value}, the queue's size, as the batch size.`
      )
    }
    // A batch size someone set keeps its source; one taken from a preset now comes from the queue.
    const batchSet = maxExportBatchSize.source === 'env' || batchWritten
    maxExportBatchSize = batchSet ? { ...maxExportBatchSize, value: maxQueueSize.value } : { ...maxQueueSize }
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
