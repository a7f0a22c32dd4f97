// A user migrating from @fastify/otel has both packages, and both declare the route config
// `otel` on Fastify's FastifyContextConfig. Checked with skipLibCheck false: the two declarations
// must merge (no TS2717), and each plugin's route settings keep their types.
import FastifyOtelInstrumentation from '@fastify/otel'
import Fastify, { type FastifyContextConfig } from 'fastify'
import otelPlugin, { type RequestTelemetry } from 'fastify-otel-kit'

export async function build (): Promise<void> {
  const app = Fastify()
  const instrumentation = new FastifyOtelInstrumentation({ registerOnInitialization: false })
  await app.register(instrumentation.plugin())
  await app.register(otelPlugin, { serviceName: 'migrating' })

  app.get('/health', { config: { otel: false } }, async () => 'ok')
  app.get(
    '/orders',
    { config: { otel: { instrumentHooks: ['onRequest'], instrumentHandler: false } } },
    async (request) => {
      const otel: RequestTelemetry = request.otel
      const fromTheirs = request.opentelemetry()
      return { traceId: otel.traceId, theirs: typeof fromTheirs }
    }
  )

  const off: FastifyContextConfig = { otel: false }
  const theirs: FastifyContextConfig = { otel: { instrumentHooks: false } }
  // @ts-expect-error not a boolean and not @fastify/otel's route settings
  const wrong: FastifyContextConfig = { otel: 'off' }
  // @ts-expect-error @fastify/otel's hook names are still checked
  const badHook: FastifyContextConfig = { otel: { instrumentHooks: ['onNothing'] } }
  use(off, theirs, wrong, badHook)
}

/** Marks values as used: this file is compiled, never run. */
function use (..._values: unknown[]): void {}
