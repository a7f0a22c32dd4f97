/**
 * fastify-otel-kit/context: carrying the active context across boundaries (worker threads, child
 * processes, job queues), with no Fastify dependency: it is loaded inside worker threads too.
 */
export { captureContext, contextFromCarrier, type ContextCarrier } from './carrier.js'
export { withContext, attach, detach, ContextToken } from './scope.js'
export { withSpan, type WithSpanOptions } from './with-span.js'
export { KitContextManager, ensureContextManager } from './context-manager.js'
export { W3CTraceContextPropagator, parseTraceParent, type ParsedTraceParent } from './w3c-trace-context.js'
export { B3Propagator, type B3Options } from './b3.js'
export { PriorityCompositePropagator, ExtractOnlyPropagator, NoPropagator } from './composite-propagator.js'
export { StrictTraceState } from './trace-state.js'
