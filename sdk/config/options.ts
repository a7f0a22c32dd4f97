import type { Attributes, TextMapPropagator } from '@opentelemetry/api'
import type { LogRecordExporter } from '@opentelemetry/sdk-logs'
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace'

/** Sampler names from the OpenTelemetry specification (`OTEL_TRACES_SAMPLER`). */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio'

/** Propagator names from the OpenTelemetry specification (`OTEL_PROPAGATORS`). */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'none'

/**
 * The resource detectors by name. `host` is host.* and os.* (the specification's reserved name);
 * `os` alone is os.*; `serviceinstance` is service.instance.id; `process` is process.* without
 * the command line; the others come from packages that are loaded when installed.
 */
export type DetectorName =
  | 'host'
  | 'os'
  | 'process'
  | 'serviceinstance'
  | 'container'
  | 'aws'
  | 'gcp'
  | 'azure'
  | 'alibaba'

/** The detectors in use, or every one that is available. */
export type DetectorSelection = DetectorName[] | ['all']

/** Batch tuning presets, from small to large (queue / delay / batch). */
export type BatchPreset = 'conservative' | 'moderate' | 'aggressive'

export interface BatchSettings {
  /** Start from a preset and override single values. The default preset is `moderate`. */
  preset?: BatchPreset
  /** Spans held in memory before new ones are dropped. Default 2048 (moderate). */
  maxQueueSize?: number
  /** Longest wait before a batch is exported. Default 5000 ms (moderate). */
  scheduledDelayMillis?: number
  /** Spans per export call; at most `maxQueueSize`. Default 512 (moderate). */
  maxExportBatchSize?: number
  /** Deadline of one export, retries included. Default 30000 ms. */
  exportTimeoutMillis?: number
}

/** The log record queue (the specification's OTEL_BLRP_* settings); presets are for spans only. */
export interface LogBatchSettings {
  /** Records held in memory before new ones are dropped. Default 2048. */
  maxQueueSize?: number
  /** Longest wait before a batch is exported. Default 1000 ms. */
  scheduledDelayMillis?: number
  /** Records per export call; at most `maxQueueSize`. Default 512. */
  maxExportBatchSize?: number
  /** Deadline of one export, retries included. Default 30000 ms. */
  exportTimeoutMillis?: number
}

/** Log export settings (option `logs`); `logs: true` is `logs: {}`. */
export interface LogsOptions {
  /** The log record queue. Defaults: 2048 records, 1000 ms, 512 per export, 30000 ms. */
  batch?: LogBatchSettings
  /**
   * Any LogRecordExporter instead of OTLP/gRPC (console, in-memory, OTLP/HTTP...). Without it,
   * records go over OTLP/gRPC with the `exporter` option's settings (OTEL_EXPORTER_OTLP_LOGS_*
   * and OTEL_EXPORTER_OTLP_* override them).
   */
  exporter?: LogRecordExporter
  /** Longest attribute value kept on a record, in characters. Default: `attributeValueLengthLimit` (4096). */
  attributeValueLengthLimit?: number
  /** Most attributes kept on a record. Default 128. */
  attributeCountLimit?: number
}

export interface OtlpExporterOptions {
  /** `https://host:4317` uses TLS, `http://host:4317` plaintext. Default `http://localhost:4317`. */
  endpoint?: string
  /** Plaintext for an endpoint written without a scheme. Default false (TLS). */
  insecure?: boolean
  /** Deadline of one export request. Default 10000 ms. */
  timeoutMillis?: number
  /** Sent as gRPC metadata with every export (API keys). Values are never logged. */
  headers?: Record<string, string>
  /** Default `none`. */
  compression?: 'gzip' | 'none'
  /** PEM file of the CA that signed the collector's certificate. */
  certificateFile?: string
  /** PEM files of the client's key and certificate, for mutual TLS. */
  clientKeyFile?: string
  clientCertificateFile?: string
  /**
   * Retry of transient failures (UNAVAILABLE, DEADLINE_EXCEEDED...), within the batch's
   * exportTimeoutMillis. `false` turns it off. Default 5 attempts, 1 s x1.5 up to 5 s, +-20 %.
   */
  retry?: false | RetryOptions
}

export interface RetryOptions {
  /** Attempts in all, the first included. Default 5. */
  maxAttempts?: number
  /** Default 1000 ms. */
  initialBackoffMillis?: number
  /** Default 5000 ms. */
  maxBackoffMillis?: number
}

/**
 * What the Fastify-free core takes: service identity, sampling, export, batching, propagation and the
 * shutdown bound. The plugin's options extend these (plugin/options.ts); the preload entry and the
 * doctor resolve the same ones.
 */
export interface SdkOptions {
  /** `service.name`. `OTEL_SERVICE_NAME` overrides it. Default `unknown_service:node`. */
  serviceName?: string
  /** `service.version`. */
  serviceVersion?: string
  /** `deployment.environment.name` (production, staging...). */
  deploymentEnvironment?: string
  /** Extra resource attributes; `OTEL_RESOURCE_ATTRIBUTES` overrides them key by key. */
  resourceAttributes?: Attributes
  /** A sampler name or a Sampler instance. Default `parentbased_always_on`. */
  sampler?: SamplerName | Sampler
  /** Ratio for the `traceidratio` samplers, 0..1. Default 1. */
  samplingRatio?: number
  /** Where spans go: OTLP/gRPC settings, or any SpanExporter instance. */
  exporter?: OtlpExporterOptions | SpanExporter
  /** Batch processor preset or explicit values. Default `moderate`. */
  batch?: BatchPreset | BatchSettings
  /** Propagators in extraction priority. Default `['tracecontext', 'baggage', 'b3multi']`. */
  propagators?: PropagatorName[]
  /** Use this propagator instead of building one from `propagators` (advanced). */
  propagator?: TextMapPropagator
  /** Read inbound context but never write it (a sidecar owns outbound injection). Default false. */
  extractOnly?: boolean
  /** Longest a flush on close or on a signal may take. Default 5000 ms. */
  shutdownTimeoutMillis?: number
  /**
   * Longest attribute value kept on a span, in characters; longer ones are truncated.
   * `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` / `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` override it. Default 4096.
   */
  attributeValueLengthLimit?: number
  /**
   * Span processors of your own (NodeSDK's name), run before the plugin's batch processor, in
   * this order. They see every span the package makes, with the SDK's whole call sequence.
   */
  spanProcessors?: SpanProcessor[]
  /**
   * Export log records over OTLP beside the spans: every line of the Fastify logger, and whatever
   * uses the OpenTelemetry Logs API. Off by default; `true` turns it on with the defaults, an
   * object tunes it. `OTEL_LOGS_EXPORTER` (otlp, console, none) overrides it.
   */
  logs?: boolean | LogsOptions
}

/** `custom`: an exporter instance was given. `console` and `none` come from OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER. */
export type ExporterKind = 'otlp-grpc' | 'console' | 'none' | 'custom'

/** Where a resolved value came from; `file` is the configuration file named by OTEL_CONFIG_FILE. */
export type ConfigSource = 'env' | 'file' | 'options' | 'default'

/**
 * One resolved setting: the value in use, where it came from and, for `env`, which variable; for
 * `file`, where in the file (`/tracer_provider/processors/0/batch/schedule_delay`).
 */
export interface Setting<T> {
  readonly value: T
  readonly source: ConfigSource
  readonly env?: string
  readonly path?: string
}

export interface ResolvedExporterConfig {
  /**
   * `custom` when a SpanExporter instance was given; `console` and `none` come from
   * `OTEL_TRACES_EXPORTER`. The OTLP fields below apply to `otlp-grpc` only.
   */
  kind: Setting<ExporterKind>
  endpoint: Setting<string>
  insecure: Setting<boolean>
  timeoutMillis: Setting<number>
  /** Header names with their values redacted. */
  headers: Setting<Record<string, string>>
  compression: Setting<'gzip' | 'none'>
  certificateFile: Setting<string | undefined>
  clientKeyFile: Setting<string | undefined>
  clientCertificateFile: Setting<string | undefined>
  /** `false` when retries are off. */
  retry: Setting<false | { maxAttempts: number; initialBackoffMillis: number; maxBackoffMillis: number }>
}

export interface ResolvedBatchConfig {
  preset: Setting<BatchPreset | 'custom'>
  maxQueueSize: Setting<number>
  scheduledDelayMillis: Setting<number>
  maxExportBatchSize: Setting<number>
  exportTimeoutMillis: Setting<number>
}

export interface ResolvedLogBatchConfig {
  maxQueueSize: Setting<number>
  scheduledDelayMillis: Setting<number>
  maxExportBatchSize: Setting<number>
  exportTimeoutMillis: Setting<number>
}

export interface ResolvedLogsConfig {
  /** Whether log records are exported: option `logs`, or OTEL_LOGS_EXPORTER. */
  enabled: Setting<boolean>
  /**
   * Where records go. `kind` is `none` when logs are off; the OTLP fields come from
   * OTEL_EXPORTER_OTLP_LOGS_*, then OTEL_EXPORTER_OTLP_*, then the `exporter` option.
   */
  exporter: ResolvedExporterConfig
  batch: ResolvedLogBatchConfig
  attributeValueLengthLimit: Setting<number>
  attributeCountLimit: Setting<number>
}

/** Span count limits (environment only; the specification's default is 128 each). */
export interface ResolvedSpanCountLimits {
  attributeCountLimit: Setting<number>
  eventCountLimit: Setting<number>
  linkCountLimit: Setting<number>
  attributePerEventCountLimit: Setting<number>
  attributePerLinkCountLimit: Setting<number>
}

/** The core's settings, each value with its source. */
export interface ResolvedSdkConfig {
  disabled: Setting<boolean>
  serviceName: Setting<string>
  serviceVersion: Setting<string | undefined>
  deploymentEnvironment: Setting<string | undefined>
  resourceAttributes: Setting<Attributes>
  /** The resource detectors (OTEL_NODE_RESOURCE_DETECTORS, or the file's resource detection). */
  resourceDetectors: Setting<DetectorSelection>
  /** The configuration file in use (OTEL_CONFIG_FILE), if any: it replaces the SDK variables. */
  configFile: Setting<string | undefined>
  /** OpenTelemetry's own diagnostics level (OTEL_LOG_LEVEL, or the file's log_level); unset: warn. */
  logLevel: Setting<string | undefined>
  sampler: Setting<SamplerName | 'custom'>
  samplingRatio: Setting<number>
  exporter: ResolvedExporterConfig
  batch: ResolvedBatchConfig
  propagators: Setting<PropagatorName[] | ['custom']>
  extractOnly: Setting<boolean>
  shutdownTimeoutMillis: Setting<number>
  attributeValueLengthLimit: Setting<number>
  spanLimits: ResolvedSpanCountLimits
  logs: ResolvedLogsConfig
}
