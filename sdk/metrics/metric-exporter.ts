import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import type {
  AggregationTemporality,
  InstrumentType,
  PushMetricExporter,
  ResourceMetrics
} from '@opentelemetry/sdk-metrics'
import type { TemporalityPreference } from '../config/options.js'
import type { ItemExporter } from '../export/queue-contracts.js'
import { failureType } from '../export/batch-queue.js'
import { failureOf } from '../export/failure.js'
import { temporalitySelector } from './temporality.js'

/** What the metric exporter's books say (otel.sdk.exporter.metric_data_point.*, stats().metrics). */
export interface MetricExportBooks {
  /** Data points the collector accepted. */
  exported: number
  /** Data points whose export failed, by failureType(). */
  failed: ReadonlyMap<string, number>
  /** Data points being exported now. */
  inFlight: number
  /** Exports that failed (each a whole collection). */
  failedExports: number
}

/**
 * An OTLP exporter for metrics (the package's gRPC or HTTP transport with upstream's metrics
 * serializer, built by the assembly) as the PushMetricExporter a periodic reader calls: one
 * collection per export, the temporality the configuration prefers, and books of what became of
 * every data point.
 *
 * Retries only once the collector has been reached: `once` makes one attempt, `retrying` retries
 * as span exports do. A process started with no collector at all (development, a test) pays one
 * connection attempt per export, and its close or flush does not wait out the retries; a
 * cumulative export that fails is carried by the next one. Once an export went through (or the
 * collector answered at all), failures are retried: a collector restarting.
 */
export class OtlpMetricExporter implements PushMetricExporter {
  private readonly select: (type: InstrumentType) => AggregationTemporality
  private exported = 0
  private inFlight = 0
  private failedExports = 0
  private readonly failed = new Map<string, number>()
  /** Whether the collector has answered once. */
  private reached = false

  constructor (
    private readonly once: ItemExporter<ResourceMetrics>,
    private readonly retrying: ItemExporter<ResourceMetrics>,
    temporality: TemporalityPreference,
    private readonly onFailure: (dataPoints: number, error: Error | undefined, reached: boolean) => void = () => {}
  ) {
    this.select = temporalitySelector(temporality)
  }

  export (metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    const dataPoints = countDataPoints(metrics)
    this.inFlight += dataPoints
    let settled = false
    const finish = (result: ExportResult): void => {
      if (settled) return
      settled = true
      this.inFlight -= dataPoints
      if (result.code === ExportResultCode.SUCCESS) {
        this.reached = true
        this.exported += dataPoints
        done(result)
        return
      }
      if (failureOf(result.error).unreachable !== true) this.reached = true
      this.failedExports++
      const type = failureType(result.error)
      this.failed.set(type, (this.failed.get(type) ?? 0) + dataPoints)
      this.onFailure(dataPoints, result.error, this.reached)
      // Counted and warned about here (FOK_WARN_EXPORT_FAILED, once per window). The periodic
      // reader does nothing with a failure but throw it at OpenTelemetry's error handler, which
      // logs a stack per failed export: it is told the export is over.
      done({ code: ExportResultCode.SUCCESS })
    }
    try {
      ;(this.reached ? this.retrying : this.once).export([metrics], finish)
    } catch (error) {
      finish({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) })
    }
  }

  selectAggregationTemporality (type: InstrumentType): AggregationTemporality {
    return this.select(type)
  }

  books (): MetricExportBooks {
    return {
      exported: this.exported,
      failed: new Map(this.failed),
      inFlight: this.inFlight,
      failedExports: this.failedExports
    }
  }

  async forceFlush (): Promise<void> {
    await this.retrying.forceFlush?.()
  }

  /**
   * At the shutdown bound: ends the export under way now (a collector that never answers would
   * otherwise hold the process until the request's own timeout), without waiting.
   */
  abandon (): void {
    this.retrying.shutdown().catch(() => {})
  }

  /** The retrying exporter settles its waiting retries, then shuts the transport (the one both use). */
  async shutdown (): Promise<void> {
    await this.retrying.shutdown()
  }
}

export function countDataPoints (metrics: ResourceMetrics): number {
  let count = 0
  for (const scope of metrics.scopeMetrics) for (const metric of scope.metrics) count += metric.dataPoints.length
  return count
}
