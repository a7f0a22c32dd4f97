// The SDK pipeline the peers run on, equal to the plugin's defaults: a resource, the parent-based
// always-on sampler, upstream's BatchSpanProcessor with the default (moderate) settings, and an
// exporter that only counts or upstream's OTLP exporter (gRPC, or protobuf over HTTP) to the
// driver's receiver. Counting wraps the processor, so ended = what entered the queue.
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

/**
 * Upstream's OTLP exporter a setup names (`...-grpc`, `...-http`), counting what it exported; else
 * the counting one.
 */
export async function otlpExporter (setup) {
  let exporter
  if (setup.endsWith('-grpc')) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc')
    exporter = new OTLPTraceExporter({ url: process.env.BENCH_OTLP_ENDPOINT })
  } else if (setup.endsWith('-http')) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto')
    exporter = new OTLPTraceExporter({ url: `${process.env.BENCH_OTLP_HTTP_ENDPOINT}/v1/traces` })
  } else {
    return countingExporter
  }
  return {
    export (spans, done) {
      exporter.export(spans, (result) => {
        if (result.code === 0) count.exported += spans.length
        done(result)
      })
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush()
  }
}

export function counters () {
  return { ended: count.ended, exported: count.exported, dropped: count.ended - count.exported }
}

export function sdkPipeline (exporter = countingExporter) {
  const batch = new BatchSpanProcessor({
    exporter,
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
