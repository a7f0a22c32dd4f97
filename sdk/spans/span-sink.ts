import { trace } from '../../context/otel-api.js'
import type { Resource } from '@opentelemetry/resources'
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { SpanFactory } from './span-factory.js'

/** Where spans relayed from worker threads enter the main thread's pipeline. */
export interface SpanSink {
  processor: SpanProcessor
  resource: Resource
  /** Builds dispatch spans without the Tracer when the plugin owns the pipeline. */
  spanFactory?: SpanFactory
}

/** Shared by the plugin (which sets it) and runInWorker (which reads it), across module copies. */
const SINK = Symbol.for('fastify-otel-kit.span-sink')

export function setSpanSink (sink: SpanSink | undefined): void {
  (globalThis as Record<symbol, SpanSink | undefined>)[SINK] = sink
}

/**
 * The plugin's pipeline, or else the pipeline of an SDK the application registered itself (an
 * SDK tracer provider keeps its processor and resource in fields; read them if they are there).
 */
export function currentSpanSink (): SpanSink | undefined {
  const own = (globalThis as Record<symbol, SpanSink | undefined>)[SINK]
  if (own !== undefined) return own
  const global = trace.getTracerProvider() as { getDelegate?: () => unknown }
  const provider = (global.getDelegate?.() ?? global) as { _activeSpanProcessor?: SpanProcessor, _resource?: Resource }
  if (provider._activeSpanProcessor === undefined || provider._resource === undefined) return undefined
  return { processor: provider._activeSpanProcessor, resource: provider._resource }
}
