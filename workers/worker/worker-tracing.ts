import type { Tracer } from '@opentelemetry/api'
import { W3CBaggagePropagator } from '@opentelemetry/core'
import { emptyResource } from '@opentelemetry/resources'
import { LoggerProvider } from '@opentelemetry/sdk-logs'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { setGlobalLoggerProvider, setGlobalTracerProvider } from '../../context/api-builds.js'
import { PriorityCompositePropagator } from '../../context/composite-propagator.js'
import { ensureContextManager } from '../../context/context-manager.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import { diag, propagation } from '../../context/otel-api.js'
import { W3CTraceContextPropagator } from '../../context/w3c-trace-context.js'
import { spanFactory } from '../../sdk/traces/span-factory.js'
import { SDK_DEFAULT_SPAN_LIMITS } from '../../sdk/traces/span-target.js'
import { factorySpanStarter, type SpanStarter } from '../../sdk/traces/span-starter.js'
import { buildSampler } from '../../sdk/traces/sampler.js'
import { RelayLogProcessor } from './log-relay.js'
import { RelayProcessor } from './relay-processor.js'

export interface WorkerTracing {
  tracer: Tracer
  /** Starts the task span. */
  taskSpans: SpanStarter
}

let tracing: WorkerTracing | undefined

/**
 * Once per thread: a context manager, a tracer provider that relays spans home, a logger provider
 * that relays log records home, and W3C propagation for code in the worker. Root spans are never
 * recorded here: every sampling decision is the main thread's (a task dispatched outside any trace
 * gets a root dispatch span from the application's sampler there), and the worker follows the
 * parent it is given.
 */
export function ensureWorkerTracing (): WorkerTracing {
  if (tracing !== undefined) return tracing
  ensureContextManager()
  // ParentBased(AlwaysOff): a span follows its parent's flag; a root is never recorded here.
  const sampler = buildSampler('parentbased_always_off', 1, undefined)
  const relayProcessor = new RelayProcessor()
  const provider = new TracerProvider({ sampler, spanProcessors: [relayProcessor] })
  if (!setGlobalTracerProvider(provider)) {
    diag.warn(
      'fastify-otel-kit: a tracer provider is already registered in this worker; ' +
        'only the task span is relayed to the main thread'
    )
  }
  propagation.setGlobalPropagator(
    new PriorityCompositePropagator([new W3CTraceContextPropagator(), new W3CBaggagePropagator()])
  )
  // Log records of a task travel home like its spans (log-relay.ts). One the application
  // registered in this thread first is kept (the API never replaces it).
  setGlobalLoggerProvider(new LoggerProvider({ processors: [new RelayLogProcessor()] }))
  const tracer = provider.getTracer(PACKAGE_NAME, PACKAGE_VERSION)
  tracing = {
    tracer,
    // The worker's provider has the SDK's default limits; the main thread applies its own on arrival.
    taskSpans: factorySpanStarter(
      spanFactory(SDK_DEFAULT_SPAN_LIMITS, sampler, relayProcessor, emptyResource(), {
        name: PACKAGE_NAME,
        version: PACKAGE_VERSION
      })
    )
  }
  return tracing
}
