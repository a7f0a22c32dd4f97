// What @fastify/otel 0.10 to 0.18 declared (its types have changed since): the route config's
// `otel` as a plain boolean. Stands in for that package in this type test.
import 'fastify'

declare module 'fastify' {
  interface FastifyContextConfig {
    otel?: boolean
  }
}
