import type { IMetricReader, PushMetricExporter, ViewOptions } from '@opentelemetry/sdk-metrics'
import type { ResolvedExporterConfig, Setting } from './options.js'

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
  /**
   * The Prometheus endpoint (`exporter: 'prometheus'`): host and port it listens on, path
   * `/metrics`. Defaults `localhost` and 9464 (OTEL_EXPORTER_PROMETHEUS_HOST / _PORT).
   */
  prometheus?: { host?: string; port?: number }
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
