import { trace } from '../../context/otel-api.js'
import type { Resource } from '@opentelemetry/resources'
import type { SpanProcessor } from '@opentelemetry/sdk-trace'
import type { Warnings } from '../diagnostics/warnings.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import type { ResolvedSpanLimits } from './span-target.js'
import { type SpanStarter, tracerSpanStarter } from './span-starter.js'

/** Where spans relayed from worker threads enter the main thread's pipeline. */
export interface SpanSink {
  processor: SpanProcessor
  resource: Resource
  /** Starts the dispatch spans. */
  spans: SpanStarter
  /** The limits relayed spans get here; without them they arrive as the worker limited them. */
  limits?: ResolvedSpanLimits
  /** The plugin's warning channel, for what the workers side reports (spans lost in workers). */
  warnings?: Warnings
}

/** Shared by the plugin (which sets it) and runInWorker (which reads it), across module copies. */
const SINK = Symbol.for('fastify-otel-kit.span-sink')

export function setSpanSink (sink: SpanSink | undefined): void {
  ;(globalThis as Record<symbol, SpanSink | undefined>)[SINK] = sink
}

/**
 * The plugin's pipeline, or else the pipeline of an SDK the application registered itself. The
 * SDK's TracerProvider offers no public way to its processor or its resource: both are read from
 * its private fields when they are there. A test holds those names to the installed SDK, so a
 * rename upstream fails a test instead of losing worker spans silently.
 */
export function currentSpanSink (): SpanSink | undefined {
  const own = (globalThis as Record<symbol, SpanSink | undefined>)[SINK]
  if (own !== undefined) return own
  const global = trace.getTracerProvider() as { getDelegate?: () => unknown }
  const provider = (global.getDelegate?.() ?? global) as { _activeSpanProcessor?: SpanProcessor; _resource?: Resource }
  if (provider._activeSpanProcessor === undefined || provider._resource === undefined) return undefined
  return {
    processor: provider._activeSpanProcessor,
    resource: provider._resource,
    spans: tracerSpanStarter(trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION))
  }
}

/**
 * Spans made in worker threads for a pipeline that never reached it (the worker stopped while it
 * held them), counted by workers/ per reason. They never entered the pipeline's processors, so
 * they are outside the batch processor's books: stats() reports them as a separate figure.
 */
export interface WorkerSpanLosses {
  total: number
  byReason: Record<string, number>
}

const LOSSES = Symbol.for('fastify-otel-kit.worker-span-losses')

/** The losses of the pipeline whose processor is `processor` (its sink's), made on first use. */
export function workerSpanLosses (processor: SpanProcessor): WorkerSpanLosses {
  const registry = ((globalThis as Record<symbol, WeakMap<SpanProcessor, WorkerSpanLosses> | undefined>)[LOSSES] ??=
    new WeakMap())
  let losses = registry.get(processor)
  if (losses === undefined) registry.set(processor, (losses = { total: 0, byReason: {} }))
  return losses
}
