// Older @fastify/otel releases declared `otel?: boolean` on the route config; this package's
// declaration merges with that one too.
import './older-declaration.js'
import Fastify, { type FastifyContextConfig } from 'fastify'
import otelPlugin from 'fastify-otel-kit'

export async function build (): Promise<void> {
  const app = Fastify()
  await app.register(otelPlugin, { serviceName: 'older' })
  app.get('/health', { config: { otel: false } }, async () => 'ok')
  const on: FastifyContextConfig = { otel: true }
  // @ts-expect-error that declaration allows booleans only
  const object: FastifyContextConfig = { otel: {} }
  use(on, object)
}

/** Marks values as used: this file is compiled, never run. */
function use (..._values: unknown[]): void {}
