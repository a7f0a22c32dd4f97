import {
  type Attributes,
  type BatchObservableResult,
  type Meter,
  type Observable,
  type ObservableCounter,
  type ObservableUpDownCounter,
  ValueType
} from '@opentelemetry/api'
import type { QueueBooks } from '../export/queue-contracts.js'

/**
 * The SDK's health as the semantic conventions for SDK self-observability name it (otel.sdk.*),
 * read from the package's own books: the span class's counts, the batch queues' books, the
 * exporters' and the worker relay's. Observable instruments, all read in one callback, so that
 * every figure of one collection is of the same moment, and agrees with `app.otel.stats()` read
 * then: `processed` counts items handed to the exporter (the specification's rule for batching
 * processors) and the drops by reason; `exported` the exporter's outcomes; the queue's size and
 * capacity; what is with the exporter now.
 */

/** The counts behind the span metrics (sdk/traces/span-counts.ts, passed in by the assembly). */
export interface SpanCountsView {
  readonly started: ArrayLike<number>
  readonly startedSampled: number
  readonly endedSampled: number
  readonly startedRecordOnly: number
  readonly endedRecordOnly: number
}

/** One export pipeline (spans or log records): its queue's books and its components' names. */
export interface PipelineHealth {
  books: () => QueueBooks
  /** `batching_span_processor`, `batching_log_processor`. */
  processorType: string
  /** `otlp_grpc_span_exporter`..., or the exporter's class name. */
  exporterType: string
  /** server.address and server.port of an OTLP exporter. */
  exporterAttributes: Attributes
}

export interface HealthSources {
  spans?: {
    counts: SpanCountsView
    pipeline: PipelineHealth | undefined
    /** Spans a worker thread held when it stopped, by reason (they never reached the processor). */
    lostInWorkers: () => Record<string, number>
  }
  logs?: PipelineHealth
  /** The package's metric exporter: data points exported, failed (by type) and in flight. */
  metricExport?: () => {
    exported: number
    failed: ReadonlyMap<string, number>
    inFlight: number
    type: string
    attributes: Attributes
  }
}

export const SPAN_PARENT_ORIGINS = ['none', 'local', 'remote'] as const
export const SPAN_SAMPLING_RESULTS = ['DROP', 'RECORD_ONLY', 'RECORD_AND_SAMPLE'] as const

interface Signal {
  /** `span`, `log`, `metric_data_point`: the instruments' middle name. */
  name: string
  unit: string
  processed?: ObservableCounter
  queueSize?: ObservableUpDownCounter
  queueCapacity?: ObservableUpDownCounter
  exported: ObservableCounter
  inFlight: ObservableUpDownCounter
}

/** Registers the health instruments on `meter`. Returns what removes their callback. */
export function registerSdkHealth (meter: Meter, sources: HealthSources): () => void {
  const observables: Observable[] = []
  const add = <T extends Observable>(instrument: T): T => {
    observables.push(instrument)
    return instrument
  }
  const counter = (name: string, unit: string, description: string): ObservableCounter =>
    add(meter.createObservableCounter(name, { unit, description, valueType: ValueType.INT }))
  const upDown = (name: string, unit: string, description: string): ObservableUpDownCounter =>
    add(meter.createObservableUpDownCounter(name, { unit, description, valueType: ValueType.INT }))
  const signal = (name: string, unit: string, noun: string, processor: boolean): Signal => ({
    name,
    unit,
    ...(processor
      ? {
          processed: counter(
            `otel.sdk.processor.${name}.processed`,
            unit,
            `The number of ${noun}s for which the processing has finished, either successful or failed.`
          ),
          queueSize: upDown(
            `otel.sdk.processor.${name}.queue.size`,
            unit,
            `The number of ${noun}s in the queue of a given instance of an SDK ${noun} processor.`
          ),
          queueCapacity: upDown(
            `otel.sdk.processor.${name}.queue.capacity`,
            unit,
            `The maximum number of ${noun}s the queue of a given instance of an SDK ${noun} processor can hold.`
          )
        }
      : {}),
    exported: counter(
      `otel.sdk.exporter.${name}.exported`,
      unit,
      `The number of ${noun}s for which the export has finished, either successful or failed.`
    ),
    inFlight: upDown(
      `otel.sdk.exporter.${name}.inflight`,
      unit,
      `The number of ${noun}s which were passed to the exporter, ` +
        'but that have not been exported yet (neither successful, nor failed).'
    )
  })

  const spanStarted = counter('otel.sdk.span.started', '{span}', 'The number of created spans.')
  const spanLive = upDown(
    'otel.sdk.span.live',
    '{span}',
    'The number of created spans with recording=true for which the end operation has not been called yet.'
  )
  const logCreated = counter(
    'otel.sdk.log.created',
    '{log_record}',
    'The number of logs submitted to enabled SDK Loggers.'
  )
  const spans = signal('span', '{span}', 'span', true)
  const logs = signal('log', '{log_record}', 'log record', true)
  const dataPoints = signal('metric_data_point', '{data_point}', 'metric data point', false)

  const callback = (result: BatchObservableResult): void => {
    const spanSources = sources.spans
    if (spanSources !== undefined) {
      const { counts } = spanSources
      for (let origin = 0; origin < 3; origin++) {
        for (let decision = 0; decision < 3; decision++) {
          const value = counts.started[origin * 3 + decision] ?? 0
          if (value === 0) continue
          result.observe(spanStarted, value, {
            'otel.span.parent.origin': SPAN_PARENT_ORIGINS[origin]!,
            'otel.span.sampling_result': SPAN_SAMPLING_RESULTS[decision]!
          })
        }
      }
      result.observe(spanLive, counts.startedSampled - counts.endedSampled, {
        'otel.span.sampling_result': 'RECORD_AND_SAMPLE'
      })
      result.observe(spanLive, counts.startedRecordOnly - counts.endedRecordOnly, {
        'otel.span.sampling_result': 'RECORD_ONLY'
      })
      if (spanSources.pipeline !== undefined) observePipeline(result, spans, spanSources.pipeline)
      const relay = { 'otel.component.type': 'worker_span_relay', 'otel.component.name': 'worker_span_relay/0' }
      for (const [reason, count] of Object.entries(spanSources.lostInWorkers())) {
        result.observe(spans.processed!, count, { ...relay, 'error.type': reason })
      }
    }
    if (sources.logs !== undefined) {
      const books = observePipeline(result, logs, sources.logs)
      result.observe(logCreated, books.created)
    }
    const metricExport = sources.metricExport?.()
    if (metricExport !== undefined) {
      const exporter = {
        'otel.component.type': metricExport.type,
        'otel.component.name': `${metricExport.type}/0`,
        ...metricExport.attributes
      }
      result.observe(dataPoints.exported, metricExport.exported, exporter)
      for (const [type, count] of metricExport.failed) {
        result.observe(dataPoints.exported, count, { ...exporter, 'error.type': type })
      }
      result.observe(dataPoints.inFlight, metricExport.inFlight, exporter)
    }
  }
  meter.addBatchObservableCallback(callback, observables)
  return () => meter.removeBatchObservableCallback(callback, observables)
}

/** The failure type of an export the collector did not take for now (unreachable, unavailable). */
const TRANSIENT = 'transient'

/** One queue's books as its processor's and exporter's instruments; returns the books read. */
function observePipeline (result: BatchObservableResult, signal: Signal, pipeline: PipelineHealth): QueueBooks {
  const books = pipeline.books()
  const processor = {
    'otel.component.type': pipeline.processorType,
    'otel.component.name': `${pipeline.processorType}/0`
  }
  const exporter = {
    'otel.component.type': pipeline.exporterType,
    'otel.component.name': `${pipeline.exporterType}/0`,
    ...pipeline.exporterAttributes
  }
  result.observe(signal.processed!, books.submitted, processor)
  result.observe(signal.processed!, books.droppedQueueFull, { ...processor, 'error.type': 'queue_full' })
  result.observe(signal.processed!, books.droppedShuttingDown, { ...processor, 'error.type': 'already_shutdown' })
  if (books.abandonedInQueue > 0) {
    result.observe(signal.processed!, books.abandonedInQueue, { ...processor, 'error.type': 'shutdown_timeout' })
  }
  result.observe(signal.queueSize!, books.waiting, processor)
  result.observe(signal.queueCapacity!, books.capacity, processor)
  result.observe(signal.exported, books.exported, exporter)
  for (const [type, count] of books.failed) result.observe(signal.exported, count, { ...exporter, 'error.type': type })
  // The failure a collector outage gives starts at zero, as queue_full does: a rate over a series
  // that appears only with its first 512 failures sees nothing until the second batch fails.
  if (!books.failed.has(TRANSIENT)) result.observe(signal.exported, 0, { ...exporter, 'error.type': TRANSIENT })
  result.observe(signal.inFlight, books.inFlight, exporter)
  return books
}

/** Buckets for otel.sdk.exporter.operation.duration: the HTTP ones, up to a 30 s export deadline. */
const EXPORT_DURATION_BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30]

/**
 * otel.sdk.exporter.operation.duration for one pipeline's exporter: recorded when a batch's export
 * settles (retries included, as the exporter's in-flight count keeps the items across retries).
 * Synchronous: once per batch, not per item.
 */
export function exportDurationRecorder (
  meter: Meter,
  pipeline: Pick<PipelineHealth, 'exporterType' | 'exporterAttributes'>
): (itemCount: number, seconds: number, failure: string | undefined) => void {
  const histogram = meter.createHistogram('otel.sdk.exporter.operation.duration', {
    unit: 's',
    description: 'The duration of exporting a batch of telemetry records.',
    advice: { explicitBucketBoundaries: EXPORT_DURATION_BOUNDARIES }
  })
  const attributes: Attributes = {
    'otel.component.type': pipeline.exporterType,
    'otel.component.name': `${pipeline.exporterType}/0`,
    ...pipeline.exporterAttributes
  }
  const failed = new Map<string, Attributes>()
  return (_count, seconds, failure) => {
    if (failure === undefined) {
      histogram.record(seconds, attributes)
      return
    }
    let withError = failed.get(failure)
    if (withError === undefined) failed.set(failure, (withError = { ...attributes, 'error.type': failure }))
    histogram.record(seconds, withError)
  }
}
