/**
 * fastify-otel-kit/context: carrying the active context across boundaries (worker threads, child
 * processes, job queues), with no Fastify dependency: it is loaded inside worker threads too.
 *
 * Only what docs/reference/entry-points.md lists is exported (a test holds the two in step): the
 * propagators, the context manager and the parsers stay internal, reached by relative imports
 * inside the package.
 */
export { captureContext, contextFromCarrier, type ContextCarrier } from './carrier.js'
export { withContext, attach, detach, type ContextToken } from './scope.js'
export { withSpan, type WithSpanOptions } from './with-span.js'
export { withProducerSpan } from './producer-span.js'
export { withConsumerSpan } from './consumer-span.js'
export type { ConsumerOptions, MessageCarrier, MessagingTarget, ProducerOptions } from './messaging.js'
export { ensureContextManager } from './context-manager.js'
