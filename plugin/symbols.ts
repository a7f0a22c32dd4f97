/** Private state on Fastify objects; symbols so no user property can collide with them. */
export const kRequestTelemetry = Symbol('fastify-otel-kit.request.telemetry')
/** Marks a hook, handler or error handler already bound to the request context. */
export const kBound = Symbol('fastify-otel-kit.bound')
