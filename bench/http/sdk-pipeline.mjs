// The SDK pipeline the peers run on, equal to the plugin's defaults: a resource, the parent-based
// always-on sampler, a batch processor with the default (moderate) settings, and an exporter that
// only counts. Counting wraps the processor, so ended = what entered the queue.
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'

const count = { ended: 0, exported: 0 }

export const countingExporter = {
  export (spans, done) {
    count.exported += spans.length
    done({ code: 0 })
  },
  async shutdown () {},
  async forceFlush () {}
}

export function counters () {
  return { ended: count.ended, exported: count.exported, dropped: count.ended - count.exported }
}

export function sdkPipeline () {
  const batch = new BatchSpanProcessor({
    exporter: countingExporter,
    maxQueueSize: 2048,
    scheduledDelayMillis: 5000,
    maxExportBatchSize: 512
  })
  const counting = {
    onStart: (span, ctx) => batch.onStart(span, ctx),
    onEnd: (span) => {
      if (span.spanContext().traceFlags & 1) count.ended++
      batch.onEnd(span)
    },
    forceFlush: () => batch.forceFlush(),
    shutdown: () => batch.shutdown()
  }
  return new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    spanProcessors: [counting]
  })
}

/** What SDK 3 leaves to its caller (NodeSDK does the same): context manager, propagator, provider. */
export function registerGlobally (provider) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] })
  )
  trace.setGlobalTracerProvider(provider)
}
