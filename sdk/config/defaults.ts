import type { BatchPreset, OtlpProtocol, PropagatorName, SamplerName } from './options.js'

export interface BatchValues {
  maxQueueSize: number
  scheduledDelayMillis: number
  maxExportBatchSize: number
}

/** The batch presets. Memory per queued span is measured by the benchmarks (about 1-1.5 KB). */
export const BATCH_PRESETS: Readonly<Record<BatchPreset, Readonly<BatchValues>>> = Object.freeze({
  conservative: Object.freeze({ maxQueueSize: 512, scheduledDelayMillis: 2000, maxExportBatchSize: 128 }),
  moderate: Object.freeze({ maxQueueSize: 2048, scheduledDelayMillis: 5000, maxExportBatchSize: 512 }),
  aggressive: Object.freeze({ maxQueueSize: 8192, scheduledDelayMillis: 10000, maxExportBatchSize: 1024 })
})

export const DEFAULT_BATCH_PRESET: BatchPreset = 'moderate'

/**
 * The log record queue's defaults: the specification's OTEL_BLRP_* defaults. A shorter delay than
 * the spans' presets: a log line is read by people waiting for it.
 */
export const LOG_BATCH_DEFAULTS: Readonly<BatchValues> = Object.freeze({
  maxQueueSize: 2048,
  scheduledDelayMillis: 1000,
  maxExportBatchSize: 512
})
/** OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT's default in the specification. */
export const DEFAULT_LOG_ATTRIBUTE_COUNT_LIMIT = 128
/** OTEL_BSP_EXPORT_TIMEOUT's default in the specification. */
export const DEFAULT_EXPORT_TIMEOUT_MILLIS = 30000

/**
 * Bytes a queue holds at most (spans or log records, as they will be sent). Typical spans (about
 * 500 bytes each) reach the count bound long before: this bounds the memory of large items, log
 * lines with long messages say (docs/internals/export-pipeline.md).
 */
export const DEFAULT_MAX_QUEUE_BYTES = 16 * 1024 * 1024

/** Characters a log record's string body keeps (a stack dump or a payload logged whole is cut there). */
export const DEFAULT_LOG_BODY_LENGTH_LIMIT = 16384

export const DEFAULT_SERVICE_NAME = 'unknown_service:node'
export const DEFAULT_SAMPLER: SamplerName = 'parentbased_always_on'
export const DEFAULT_SAMPLING_RATIO = 1

/** W3C first (it wins extraction), baggage, then B3 multi-header for legacy Zipkin-era services. */
export const DEFAULT_PROPAGATORS: readonly PropagatorName[] = Object.freeze(['tracecontext', 'baggage', 'b3multi'])

/**
 * The specification's default protocol, and NodeSDK's: what managed backends document, and what
 * a user who configures only the environment expects (docs/internals/decisions.md).
 */
export const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = 'http/protobuf'
export const OTLP_PROTOCOLS: readonly OtlpProtocol[] = Object.freeze([
  'grpc',
  'http/protobuf',
  'http/json'
] as OtlpProtocol[])
/** The specification's default endpoints: a collector on this host. */
export const DEFAULT_OTLP_GRPC_ENDPOINT = 'http://localhost:4317'
export const DEFAULT_OTLP_HTTP_ENDPOINT = 'http://localhost:4318'
export const DEFAULT_EXPORTER_TIMEOUT_MILLIS = 10000

export const DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 5000

/**
 * Characters an attribute value keeps: long enough for real URLs, user agents and SQL statements,
 * short enough that one span stays a few KB (docs/internals/reliability.md). New Relic cuts at 4095.
 */
export const DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT = 4096

/** The specification's default for every span count limit (attributes, events, links and theirs). */
export const DEFAULT_SPAN_COUNT_LIMIT = 128

export const SAMPLER_NAMES: readonly SamplerName[] = Object.freeze([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio'
] as SamplerName[])

export const PROPAGATOR_NAMES: readonly PropagatorName[] = Object.freeze([
  'tracecontext',
  'baggage',
  'b3',
  'b3multi',
  'none'
] as PropagatorName[])
export const BATCH_PRESET_NAMES: readonly BatchPreset[] = Object.freeze([
  'conservative',
  'moderate',
  'aggressive'
] as BatchPreset[])
