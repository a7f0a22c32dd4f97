import type { Histogram, MeterProvider, TextMapPropagator, Tracer, TracerProvider } from '@opentelemetry/api'
import type { RequestMetrics } from '../metrics/request-metrics.js'
import type { ResolvedSdkConfig } from '../config/options.js'
import type { ExportStats } from '../export/queue-contracts.js'
import type { SdkLogs } from '../logs/log-record-sink.js'
import type { SpanStarter } from '../traces/span-starter.js'

/**
 * `plugin`: this package assembled and registered the SDK. `application`: the application had
 * registered its own before the plugin loaded; it is used and never replaced. `disabled`:
 * OTEL_SDK_DISABLED=true.
 */
export type SdkOwner = 'plugin' | 'application' | 'disabled'

/**
 * `app.otel.stats()`: the span pipeline's counters, and the log record pipeline's under `logs` when
 * this package exports logs. Each balances: `created = exported + dropped + failed + queued`.
 */
export interface PipelineStats extends ExportStats {
  /**
   * Spans made in worker threads that could not come home (the worker stopped while it held
   * them). They never reached the processor, so they are outside the balance above.
   */
  lostInWorkers: number
  /** The log record pipeline's counters; present when log export is on (and this package assembled the SDK). */
  logs?: ExportStats
  /**
   * The OTLP metric exporter's counters, in data points; present when metrics go over OTLP (and
   * this package assembled the SDK).
   */
  metrics?: { exported: number; failed: number; inFlight: number; failedExports: number }
}

/** What the plugin records HTTP metrics into (the package's MeterProvider, or the application's). */
export interface SdkMetrics {
  readonly provider: MeterProvider
  /** http.server.request.duration and http.server.active_requests; undefined when views drop both. */
  readonly requests: RequestMetrics | undefined
  /** http.client.request.duration. */
  readonly clientDuration: Histogram | undefined
}

/** The process's SDK as the plugin and the workers see it, whoever assembled it. */
export interface Sdk<C extends ResolvedSdkConfig = ResolvedSdkConfig> {
  readonly owner: SdkOwner
  readonly tracer: Tracer
  readonly provider: TracerProvider
  /** The propagator the request hooks use (the global one unless the application owns that). */
  readonly propagator: TextMapPropagator
  /** The configuration in effect: the one of the instance that assembled the SDK. */
  readonly config: C
  /** Starts the package's own spans (the request span, the worker spans). */
  readonly spans: SpanStarter
  /**
   * Where the Fastify log bridge sends lines: the package's log pipeline, or the Logs API's global
   * LoggerProvider when the application owns the SDK; undefined when logs are off.
   */
  readonly logs: SdkLogs | undefined
  /** Where HTTP metrics are recorded; undefined when metrics are off. */
  readonly metrics: SdkMetrics | undefined
  stats(): PipelineStats
  /** Exports what is queued now, spans and log records. */
  forceFlush(): Promise<void>
}

export function emptyExportStats (): ExportStats {
  return { created: 0, queued: 0, exported: 0, dropped: 0, failed: 0, retries: 0 }
}

export function emptyStats (): PipelineStats {
  return { ...emptyExportStats(), lostInWorkers: 0 }
}
