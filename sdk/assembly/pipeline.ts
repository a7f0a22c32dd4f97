import type { TextMapPropagator } from '@opentelemetry/api'
import type { Resource } from '@opentelemetry/resources'
import type { Sampler } from '@opentelemetry/sdk-trace'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import type { ResolvedSdkConfig } from '../config/options.js'
import type { ConfigResolution } from '../config/resolve-config.js'
import { reportDiagnosticRepeats } from '../diagnostics/diag-logger.js'
import type { Warnings } from '../diagnostics/warnings.js'
import { BatchExportProcessor } from '../traces/batch-span-processor.js'
import type { ItemExporter, QueueEncoding, RetryCounter } from '../export/queue-contracts.js'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import { queueLimits } from './queue-limits.js'
import { buildSpanExport } from './span-exporter.js'
import { assembleLogPipeline, type LogPipeline } from './log-pipeline.js'
import { ProcessorChain } from '../traces/processor-chain.js'
import { workerSpanLosses } from '../traces/span-sink.js'
import { setSpanUrlRedaction } from '../traces/span-url-redaction.js'
import { type SpanFactory, spanFactory } from '../traces/span-factory.js'
import type { ResolvedSpanLimits } from '../traces/span-target.js'
import { type PipelineWarnings, spanPipelineWarnings } from './pipeline-warnings.js'
import { assembleMetricPipeline, exportDurations, type MetricPipeline, serverOf } from './metric-pipeline.js'
import { countingSampler, LiveSpanCounter, SpanCounts } from '../traces/span-counts.js'
import type { ResolvedExporterConfig } from '../config/options.js'
import { buildPropagator } from './propagators.js'
import { buildResource, type ResourceOptions } from './resource.js'
import { buildSampler } from '../traces/sampler.js'
import { emptyExportStats, type PipelineStats } from './sdk.js'
import { flushAll } from './flush-outcome.js'

/** Everything the SDK assembly builds, before any of it is registered globally. */
export interface Pipeline {
  resource: Resource
  sampler: Sampler
  provider: TracerProvider
  propagator: TextMapPropagator
  /** The plugin's own batch processor; undefined for OTEL_TRACES_EXPORTER=none. */
  batchProcessor: BatchExportProcessor<{ readonly resource: Resource }> | undefined
  /** Every processor in order, the application's first, then the batch processor. */
  processors: ProcessorChain
  spanFactory: SpanFactory
  /** The log side, when logs are on: a LoggerProvider on the same resource. */
  logs: LogPipeline | undefined
  /** The metrics side, when metrics are on: a MeterProvider on the same resource. */
  metrics: MetricPipeline | undefined
  /** Both pipelines' drop and failure summaries, and the metrics' failures: reported now at close. */
  warnings: Pick<PipelineWarnings, 'close'>
  stats(): PipelineStats
  /** Spans and log records waiting or being exported. */
  readonly pending: number
  forceFlush(): Promise<void>
  /**
   * Flushes the processors directly, never rejecting, for the exit paths that bound the time
   * themselves: the provider's forceFlush arms a ref'd 30 s timer that would hold the exit.
   */
  drain(): Promise<void>
  /** Shuts both providers down (each flushes first); the caller bounds it in time. */
  shutdown(): Promise<void>
  /** At the shutdown bound: what is left of both is counted as failed. */
  abandon(): { spans: number; logRecords: number }
  /**
   * Why spans or log records are still pending, for the shutdown warning: the last failed attempt
   * of either exporter, else an export still waiting for its answer; undefined when neither is known.
   */
  pendingReason(): string | undefined
}

/**
 * The order that matters: resource, sampler, exporter, batch processor, provider; then the same for log
 * records on the same resource, when logs are on.
 */
export function assemblePipeline (
  resolution: ConfigResolution<ResolvedSdkConfig>,
  warnings: Warnings,
  { pendingIdentity }: Pick<ResourceOptions, 'pendingIdentity'> = {}
): Pipeline {
  const { config } = resolution
  const resource = buildResource(config, {
    warn: (message) => warnings.warn('FOK_WARN_DETECTOR_MISSING', message),
    ...(pendingIdentity === undefined ? {} : { pendingIdentity })
  })
  // Every sampling decision is counted (otel.sdk.span.started), the package's spans' and the SDK Tracer's.
  const spanCounts = new SpanCounts()
  const sampler = countingSampler(
    buildSampler(config.sampler.value, config.samplingRatio.value, resolution.samplerInstance),
    spanCounts
  )
  const spanExport = buildSpanExport(resolution, (message) => warnings.warn('FOK_WARN_CONFIG', message))
  const exporter = spanExport?.exporter
  const events = spanPipelineWarnings(warnings, config)
  const batchProcessor: BatchExportProcessor<{ readonly resource: Resource }> | undefined =
    spanExport === undefined
      ? undefined
      : new BatchExportProcessor<{ readonly resource: Resource }>(
        spanExport.exporter as ItemExporter<{ readonly resource: Resource }>,
        queueLimits(config.batch, config.exporter),
        events,
        spanExport.encoding as QueueEncoding<ReadableSpan, { readonly resource: Resource }>
      )
  // The application's processors first (they may enrich spans in onStart/onEnding), the export last.
  // The live-span counter first: it only counts (otel.sdk.span.live).
  const counter = new LiveSpanCounter(spanCounts)
  const list =
    batchProcessor === undefined
      ? [counter, ...resolution.spanProcessors]
      : [counter, ...resolution.spanProcessors, batchProcessor]
  const processors = new ProcessorChain(list, { sanitizeStatements: config.dbStatementSanitizer.value })
  // One chain for every span, the SDK's too: a processor that throws is skipped, never thrown into
  // the code that started or ended the span (a request handler).
  // Resolved from the environment here: SDK 3's provider reads no variable itself. The same limits
  // go to the provider and to the package's own spans.
  const spanLimits: ResolvedSpanLimits = {
    attributeCountLimit: config.spanLimits.attributeCountLimit.value,
    eventCountLimit: config.spanLimits.eventCountLimit.value,
    linkCountLimit: config.spanLimits.linkCountLimit.value,
    attributePerEventCountLimit: config.spanLimits.attributePerEventCountLimit.value,
    attributePerLinkCountLimit: config.spanLimits.attributePerLinkCountLimit.value,
    attributeValueLengthLimit: config.attributeValueLengthLimit.value
  }
  const provider = new TracerProvider({ resource, sampler, spanProcessors: [processors], spanLimits })
  setSpanUrlRedaction(provider, processors.urlRedaction)
  const propagator = buildPropagator(config.propagators.value, resolution.propagatorInstance, config.extractOnly.value)
  const retries = exporter as Partial<RetryCounter> | undefined
  retries?.observe?.(events.retries)
  const logs = assembleLogPipeline(resolution, resource, warnings)
  const metrics = assembleMetricPipeline(resolution, resource, warnings)
  if (metrics !== undefined) {
    // The SDK's health from the package's own books (otel.sdk.*).
    const spanExporter = exporterIdentity(config.exporter, 'span', resolution.exporterInstance)
    const logExporter = exporterIdentity(config.logs.exporter, 'log', resolution.logExporterInstance)
    metrics.observeHealth({
      spans: {
        counts: spanCounts,
        pipeline:
          batchProcessor === undefined
            ? undefined
            : { books: () => batchProcessor.books(), processorType: 'batching_span_processor', ...spanExporter },
        lostInWorkers: () => workerSpanLosses(processors).byReason
      },
      ...(logs === undefined
        ? {}
        : { logs: { books: () => logs.processor.books(), processorType: 'batching_log_processor', ...logExporter } })
    })
    const { exporterType, exporterAttributes } = spanExporter
    events.onExportSettled = exportDurations(metrics.provider, exporterType, exporterAttributes)
    if (logs !== undefined) {
      const { exporterType, exporterAttributes } = logExporter
      logs.warnings.onExportSettled = exportDurations(metrics.provider, exporterType, exporterAttributes)
    }
  }
  return {
    resource,
    sampler,
    provider,
    propagator,
    batchProcessor,
    processors,
    spanFactory: spanFactory(spanLimits, sampler, processors, resource, {
      name: PACKAGE_NAME,
      version: PACKAGE_VERSION
    }),
    logs,
    metrics,
    warnings: {
      // Everything summarised per window reports now: drops, failures and repeated diagnostics.
      close: () => {
        events.close()
        logs?.warnings.close()
        metrics?.closeWarnings()
        reportDiagnosticRepeats()
      }
    },
    stats: () => {
      const spans: PipelineStats = {
        ...(batchProcessor?.stats(typeof retries?.retryCount === 'number' ? (retries as RetryCounter) : undefined) ??
          emptyExportStats()),
        lostInWorkers: workerSpanLosses(processors).total
      }
      if (logs !== undefined) spans.logs = logs.stats()
      const metricStats = metrics?.stats()
      if (metricStats !== undefined) spans.metrics = metricStats
      return spans
    },
    get pending () {
      return (batchProcessor?.pending ?? 0) + (logs?.processor.pending ?? 0)
    },
    forceFlush: async () => {
      // The retry wrapper knows the attempt under way (its failure is cleared when one starts);
      // without it (exporter.retry: false) the queue's own record of the last failure says why.
      const retrying = typeof retries?.retryCount === 'number'
      const spanReason = (): string | undefined =>
        pendingReasonOf(
          batchProcessor!.books().inFlight,
          retrying ? retries!.lastFailure : batchProcessor!.lastExportFailure
        )
      const logReason = (): string | undefined =>
        pendingReasonOf(logs!.processor.books().inFlight, logs!.lastFailure() ?? logs!.processor.lastExportFailure)
      await flushAll({
        spans: {
          // As long as an export may last (30 s by default, OpenTelemetry's flush bound too), and a
          // little more: an export the queue times out at that moment settles the flush, as failed.
          flush: () =>
            provider.forceFlush({ timeoutMillis: config.batch.exportTimeoutMillis.value + FLUSH_GRACE_MILLIS }),
          ...(batchProcessor === undefined ? {} : { queue: batchProcessor, reason: spanReason })
        },
        ...(logs === undefined
          ? {}
          : {
              logs: {
                flush: () => logs.processor.forceFlush(),
                queue: logs.processor,
                reason: logReason,
                timeoutMillis: config.logs.batch.exportTimeoutMillis.value + FLUSH_GRACE_MILLIS
              }
            }),
        ...(metrics === undefined ? {} : { metrics: { flush: () => metrics.forceFlush() } })
      })
    },
    drain: async () => {
      await Promise.allSettled([processors.forceFlush(), logs?.processor.forceFlush()])
    },
    shutdown: async () => {
      await Promise.all([provider.shutdown(), logs?.provider.shutdown(), metrics?.shutdown()])
    },
    abandon: () => {
      metrics?.abandon()
      return { spans: batchProcessor?.abandon() ?? 0, logRecords: logs?.processor.abandon() ?? 0 }
    },
    pendingReason: () => {
      // The reason of the signal that has something left: the spans', else the log records'.
      if (batchProcessor !== undefined && batchProcessor.pending > 0) {
        return pendingReasonOf(batchProcessor.books().inFlight, retries?.lastFailure)
      }
      if (logs !== undefined && logs.processor.pending > 0) {
        return pendingReasonOf(logs.processor.books().inFlight, logs.lastFailure())
      }
      return undefined
    }
  }
}

/** How long a flush waits past the export's timeout, for the export the queue timed out to settle. */
const FLUSH_GRACE_MILLIS = 250

/**
 * Why a queue still holds items: an attempt under way (its exporter has not answered), else the
 * last attempt's failure (a retry waits), else nothing known.
 */
function pendingReasonOf (inFlight: number, lastFailure: string | undefined): string | undefined {
  if (lastFailure !== undefined) return `the last export attempt failed: ${lastFailure}`
  return inFlight > 0 ? 'an export was still waiting for its answer' : undefined
}

/**
 * The exporter of a signal as the health metrics name it: the semantic conventions' component
 * type (`otlp_grpc_span_exporter`, `otlp_http_json_log_exporter`...) and where it sends.
 */
function exporterIdentity (
  exporter: ResolvedExporterConfig,
  noun: 'span' | 'log',
  instance: object | undefined
): { exporterType: string; exporterAttributes: Record<string, string | number> } {
  const kind = exporter.kind.value
  if (kind === 'otlp') {
    const protocol = exporter.protocol.value
    const transport = protocol === 'grpc' ? 'otlp_grpc' : protocol === 'http/json' ? 'otlp_http_json' : 'otlp_http'
    return { exporterType: `${transport}_${noun}_exporter`, exporterAttributes: serverOf(exporter.endpoint.value) }
  }
  if (kind === 'custom' && instance !== undefined) {
    return { exporterType: instance.constructor.name, exporterAttributes: {} }
  }
  return { exporterType: `${kind}_${noun}_exporter`, exporterAttributes: {} }
}
