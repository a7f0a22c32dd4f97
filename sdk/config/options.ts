import type { Attributes, TextMapPropagator } from '@opentelemetry/api'
import type { LogRecordExporter } from '@opentelemetry/sdk-logs'
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace'
import type { IMetricReader, PushMetricExporter, ViewOptions } from '@opentelemetry/sdk-metrics'

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
  /** Deadline of one export, retries included (`exporter.retry.budgetMillis` when longer). Default 30000 ms. */
  exportTimeoutMillis?: number
  /**
   * Bytes of spans held in memory, as they will be sent (their OTLP size), before new ones are
   * dropped; the batch being exported counts too. `Infinity`: no byte bound. Default 16 MiB.
   */
  maxQueueBytes?: number
}

/** The log record queue (the specification's OTEL_BLRP_* settings); presets are for spans only. */
export interface LogBatchSettings {
  /** Records held in memory before new ones are dropped. Default 2048. */
  maxQueueSize?: number
  /** Longest wait before a batch is exported. Default 1000 ms. */
  scheduledDelayMillis?: number
  /** Records per export call; at most `maxQueueSize`. Default 512. */
  maxExportBatchSize?: number
  /** Deadline of one export, retries included (`exporter.retry.budgetMillis` when longer). Default 30000 ms. */
  exportTimeoutMillis?: number
  /**
   * Bytes of log records held in memory, as they will be sent, before new ones are dropped (a line
   * not parsed yet counts its length). `Infinity`: no byte bound. Default 16 MiB.
   */
  maxQueueBytes?: number
}

/** Log export settings (option `logs`); `logs: true` is `logs: {}`. */
export interface LogsOptions {
  /** The log record queue. Defaults: 2048 records, 1000 ms, 512 per export, 30000 ms. */
  batch?: LogBatchSettings
  /**
   * Any LogRecordExporter instead of OTLP (console, in-memory...). Without it, records go over OTLP
   * with the `exporter` option's settings, `exporter.logs` over them (OTEL_EXPORTER_OTLP_LOGS_* and
   * OTEL_EXPORTER_OTLP_* override both).
   */
  exporter?: LogRecordExporter
  /** Longest attribute value kept on a record, in characters. Default: `attributeValueLengthLimit` (4096). */
  attributeValueLengthLimit?: number
  /** Most attributes kept on a record. Default 128. */
  attributeCountLimit?: number
  /** Longest string body kept on a record, in characters (strings inside a map body too). Default 16384. */
  bodyLengthLimit?: number
}

/**
 * The OTLP transport protocols of the specification (`OTEL_EXPORTER_OTLP_PROTOCOL`): protobuf over
 * HTTP (the specification's default), JSON over HTTP, and gRPC.
 */
export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json'

/**
 * The OTLP settings of one signal (option `exporter.traces`, `exporter.logs`): what
 * OTEL_EXPORTER_OTLP_TRACES_* and OTEL_EXPORTER_OTLP_LOGS_* set. Each one set here wins over the
 * same one in `exporter` for that signal.
 */
export interface OtlpSignalOptions {
  /** This signal's protocol. */
  protocol?: OtlpProtocol
  /**
   * This signal's URL, used exactly as given: for OTLP/HTTP the whole URL with its path
   * (`https://host:4318/v1/traces`); for gRPC `http(s)://host:port` (a path is ignored, with a warning).
   */
  endpoint?: string
  /** Plaintext for a gRPC endpoint written without a scheme. */
  insecure?: boolean
  /** Deadline of one export request, in ms. */
  timeoutMillis?: number
  /**
   * Sent with every export (HTTP headers, gRPC metadata), over the `exporter.headers` key by key.
   * Values are never logged.
   */
  headers?: Record<string, string>
  compression?: 'gzip' | 'none'
  /** PEM file of the CA that signed the collector's certificate. */
  certificateFile?: string
  /** PEM files of the client's key and certificate, for mutual TLS. */
  clientKeyFile?: string
  clientCertificateFile?: string
}

/** The `exporter` option's OTLP settings: shared by every signal, with each signal's own beneath. */
export interface OtlpExporterOptions {
  /** Default `http/protobuf` (the specification's), `OTEL_EXPORTER_OTLP_PROTOCOL` overrides it. */
  protocol?: OtlpProtocol
  /**
   * The collector's base URL, for every signal (`OTEL_EXPORTER_OTLP_ENDPOINT`): OTLP/HTTP appends
   * `/v1/traces`, `/v1/logs` to its path (`https://host/otlp` -> `https://host/otlp/v1/traces`);
   * gRPC uses its scheme, host and port. `https://` uses TLS, `http://` plaintext. Default
   * `http://localhost:4318` for OTLP/HTTP, `http://localhost:4317` for gRPC.
   */
  endpoint?: string
  /** Plaintext for a gRPC endpoint written without a scheme (`host:4317`). Default false (TLS). */
  insecure?: boolean
  /** Deadline of one export request. Default 10000 ms. */
  timeoutMillis?: number
  /** Sent with every export (HTTP headers, gRPC metadata: API keys). Values are never logged. */
  headers?: Record<string, string>
  /** Default `none`. */
  compression?: 'gzip' | 'none'
  /** PEM file of the CA that signed the collector's certificate. */
  certificateFile?: string
  /** PEM files of the client's key and certificate, for mutual TLS. */
  clientKeyFile?: string
  clientCertificateFile?: string
  /**
   * Retry of transient failures (gRPC UNAVAILABLE, HTTP 429/502/503/504, timeouts...) for up to
   * `budgetMillis` from a batch's first export. `false` turns it off. Default: for up to 60 s,
   * waiting 1 s x1.5 up to 5 s, +-20 %, or what the collector asks (Retry-After).
   */
  retry?: false | RetryOptions
  /** The spans' own settings, over these (OTEL_EXPORTER_OTLP_TRACES_*). */
  traces?: OtlpSignalOptions
  /** The log records' own settings, over these (OTEL_EXPORTER_OTLP_LOGS_*). */
  logs?: OtlpSignalOptions
  /** The metrics' own settings, over these (OTEL_EXPORTER_OTLP_METRICS_*). */
  metrics?: OtlpSignalOptions
}

export interface RetryOptions {
  /** Attempts in all within one export, the first included. Default: no limit (the budget decides). */
  maxAttempts?: number
  /** Default 1000 ms. */
  initialBackoffMillis?: number
  /** Default 5000 ms. */
  maxBackoffMillis?: number
  /**
   * How long a batch the collector cannot take for now (unreachable, unavailable, asking to wait)
   * is exported again, from its first export: the queue holds it and waits, so a collector restart
   * shorter than this loses nothing the queue holds. Default 60000 ms.
   */
  budgetMillis?: number
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
  /**
   * Where spans go: OTLP settings (log export uses them too, `exporter.logs` over them), or any
   * SpanExporter instance (log records then go over OTLP with the defaults and OTEL_EXPORTER_OTLP_*).
   */
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
  /**
   * Metrics: the HTTP server and client metrics, the SDK's health and the runtime's, over OTLP to
   * the spans' collector by default (the specification's default). `false` turns them off, an
   * object tunes them (docs/guides/metrics.md). `OTEL_METRICS_EXPORTER` (otlp, prometheus, console,
   * none) overrides the exporter.
   */
  metrics?: boolean | MetricsOptions
}

/**
 * `otlp`: OTLP over the resolved `protocol`. `custom`: an exporter instance was given. `console`
 * and `none` come from OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER; `none` also when the signal's
 * endpoint from the environment cannot be used (export off, never a default endpoint instead).
 */
export type ExporterKind = 'otlp' | 'console' | 'none' | 'custom'

/** Where a resolved value came from; `file` is the configuration file named by OTEL_CONFIG_FILE. */
export type ConfigSource = 'env' | 'file' | 'options' | 'default'

/**
 * One resolved setting: the value in use, where it came from and, for `env`, which variable; for
 * `file`, where in the file (`.tracer_provider.processors[0].batch.schedule_delay`).
 */
export interface Setting<T> {
  readonly value: T
  readonly source: ConfigSource
  readonly env?: string
  readonly path?: string
  /**
   * The option's key when the value came from the options and more than one option can set it
   * (a signal's own `exporter.traces.certificateFile` or the shared `exporter.certificateFile`).
   */
  readonly option?: string
}

/** The resolved export settings of one signal (spans: `config.exporter`; log records: `config.logs.exporter`). */
export interface ResolvedExporterConfig {
  /**
   * `custom` when an exporter instance was given; `console` and `none` come from
   * `OTEL_TRACES_EXPORTER` / `OTEL_LOGS_EXPORTER`, `none` also from an endpoint variable that
   * cannot be used (then `env` names it). The fields below apply to `otlp` only.
   */
  kind: Setting<ExporterKind>
  /** `grpc`, `http/protobuf` or `http/json`. */
  protocol: Setting<OtlpProtocol>
  /**
   * Where this signal's exports go, as sent: for OTLP/HTTP the whole URL (a base endpoint with
   * `/v1/traces` appended, or the signal's own as given); for gRPC `scheme://host:port` (a
   * scheme-less `host:port` stays as written; `insecure` decides TLS). Credentials in the URL are
   * redacted wherever it is shown.
   */
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
  retry: Setting<false | ResolvedRetry>
}

export interface ResolvedRetry {
  maxAttempts: number
  initialBackoffMillis: number
  maxBackoffMillis: number
  budgetMillis: number
}

export interface ResolvedBatchConfig {
  preset: Setting<BatchPreset | 'custom'>
  maxQueueSize: Setting<number>
  scheduledDelayMillis: Setting<number>
  maxExportBatchSize: Setting<number>
  exportTimeoutMillis: Setting<number>
  maxQueueBytes: Setting<number>
}

export interface ResolvedLogBatchConfig {
  maxQueueSize: Setting<number>
  scheduledDelayMillis: Setting<number>
  maxExportBatchSize: Setting<number>
  exportTimeoutMillis: Setting<number>
  maxQueueBytes: Setting<number>
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
  bodyLengthLimit: Setting<number>
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
  /**
   * Whether database statements are exported without the values in them (literals, Redis
   * arguments, query parameters): environment only, OTEL_INSTRUMENTATION_COMMON_DB_STATEMENT_SANITIZER_ENABLED.
   * The default value is true.
   */
  dbStatementSanitizer: Setting<boolean>
  logs: ResolvedLogsConfig
  metrics: ResolvedMetricsConfig
}

/**
 * The exporters the package builds a reader for (the specification's OTEL_METRICS_EXPORTER names):
 * `otlp` over the metrics' OTLP settings on a periodic reader, `prometheus` an endpoint a
 * Prometheus server scrapes, `console` a periodic reader that prints.
 */
export type MetricExporterName = 'otlp' | 'prometheus' | 'console'

/**
 * How an OTLP or console reader asks for its data (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE):
 * `cumulative` for every instrument; `delta` for counters and histograms (up-down counters stay
 * cumulative); `lowmemory` delta for synchronous counters and histograms only. Prometheus is
 * always cumulative.
 */
export type TemporalityPreference = 'cumulative' | 'delta' | 'lowmemory'

/** Where the Prometheus endpoint listens (OTEL_EXPORTER_PROMETHEUS_HOST / _PORT). */
export interface PrometheusOptions {
  /** Default `localhost` (the specification's): `0.0.0.0` to be scraped from another host. */
  host?: string
  /** Default 9464. */
  port?: number
}

/** Metrics settings (option `metrics`); `metrics: true` is `metrics: {}`, `false` turns metrics off. */
export interface MetricsOptions {
  /**
   * Where metrics go: an exporter name, several, `none`, or any PushMetricExporter instance (read
   * by a periodic reader). Default `otlp`, with the `exporter` option's OTLP settings and
   * `exporter.metrics` over them. `OTEL_METRICS_EXPORTER` overrides it.
   */
  exporter?: MetricExporterName | 'none' | MetricExporterName[] | PushMetricExporter
  /**
   * Metric readers of your own (a PrometheusExporter with your settings, a reader of a test...),
   * added to the one `exporter` makes. They receive the request metrics and the SDK's health too.
   */
  readers?: IMetricReader[]
  /** Views for the MeterProvider (upstream's ViewOptions): rename, drop, re-bucket, filter attributes. */
  views?: ViewOptions[]
  /** Time between two exports of the periodic readers. Default 60000 ms (OTEL_METRIC_EXPORT_INTERVAL). */
  exportIntervalMillis?: number
  /** Deadline of one export, retries included. Default 30000 ms (OTEL_METRIC_EXPORT_TIMEOUT). */
  exportTimeoutMillis?: number
  /** The OTLP and console readers' temporality. Default `cumulative`. */
  temporality?: TemporalityPreference
  /** The Prometheus endpoint (`exporter: 'prometheus'`), path `/metrics`. */
  prometheus?: PrometheusOptions
  /** Event loop delay and utilisation, garbage collection and heap metrics. Default true. */
  runtime?: boolean
}

/** The resolved metrics settings, each with its source (`app.otel.config.metrics`). */
export interface ResolvedMetricsConfig {
  /**
   * Whether the package sets up a MeterProvider: option `metrics` (on by default, as the
   * specification's OTEL_METRICS_EXPORTER=otlp default), off with `metrics: false`, or when no
   * exporter and no reader is left (OTEL_METRICS_EXPORTER=none and no `metrics.readers`).
   */
  enabled: Setting<boolean>
  /** The readers the package builds, by exporter name; `custom` for an exporter instance. Empty for `none`. */
  exporters: Setting<Array<MetricExporterName | 'custom'>>
  /** The OTLP settings of the `otlp` exporter (`kind` is `none` when it is not in use). */
  exporter: ResolvedExporterConfig
  exportIntervalMillis: Setting<number>
  exportTimeoutMillis: Setting<number>
  temporality: Setting<TemporalityPreference>
  prometheus: { host: Setting<string>; port: Setting<number> }
  runtime: Setting<boolean>
  /** How many readers the options gave (`metrics.readers`). */
  readers: Setting<number>
  /** How many views the options gave (`metrics.views`). */
  views: Setting<number>
}
