// Variants for isolating one cost at a time (not a scenario of the suite; the README cites some):
//   node bench/http/experiment-server.mjs <variant>
// bare | als-run (AsyncLocalStorage.run in one onRequest hook) | otel-with (the same through
// the OpenTelemetry context API) | kit-ignored (the plugin, every request ignored) |
// kit-unsampled | off | decorate | getter-only | null-only | import-only | imp:<module> | steps:<a-d>
// Prints {"port"} and serves GET /orders/:id until stdin closes, like bench/http/server.mjs.
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import { createInterface } from 'node:readline'
const variant = process.argv[2]
const app = Fastify()
if (variant === 'decorate') {
  await app.register(
    fp(async (i) => {
      i.decorateRequest(Symbol('x'), null)
      i.decorateRequest('otel', {
        getter () {
          return null
        }
      })
    })
  )
} else if (variant === 'getter-only') {
  await app.register(
    fp(async (i) => {
      i.decorateRequest('otel', {
        getter () {
          return null
        }
      })
    })
  )
} else if (variant === 'null-only') {
  await app.register(
    fp(async (i) => {
      i.decorateRequest(Symbol('x'), null)
    })
  )
} else if (variant.startsWith('steps:')) {
  const step = variant.slice(6)
  await app.register(
    fp(
      async (i) => {
        i.decorateRequest('otel', {
          getter () {
            return this.x ?? null
          }
        })
        if (step >= 'b') i.decorateRequest(Symbol('fastify-otel-kit.request.telemetry'), null)
        if (step >= 'c') i.decorate('otel', { tracer: null, config: {} })
        if (step >= 'd') i.addHook('onClose', async () => {})
      },
      { fastify: '5.x', name: 'steps' }
    )
  )
} else if (variant === 'als-run') {
  const { AsyncLocalStorage } = await import('node:async_hooks')
  const als = new AsyncLocalStorage()
  app.addHook('onRequest', (request, reply, done) => {
    als.run({ request }, done)
  })
} else if (variant === 'otel-with') {
  const { context, ROOT_CONTEXT, createContextKey } = await import('@opentelemetry/api')
  const { ensureContextManager } = await import('fastify-otel-kit/context')
  ensureContextManager()
  const key = createContextKey('x')
  app.addHook('onRequest', (request, reply, done) => {
    context.with(ROOT_CONTEXT.setValue(key, request), done)
  })
} else if (variant.startsWith('kit-')) {
  const { default: otelPlugin } = await import('fastify-otel-kit')
  const exporter = {
    export (spans, done) {
      done({ code: 0 })
    },
    async shutdown () {}
  }
  const options = { serviceName: 'x', handleSignals: false, exporter }
  if (variant === 'kit-ignored') options.ignore = () => true
  await app.register(otelPlugin, options)
} else if (variant.startsWith('imp:')) {
  await import(variant.slice(4))
} else if (variant === 'import-only') {
  await import('fastify-otel-kit')
} else if (variant === 'off') {
  process.env.OTEL_SDK_DISABLED = 'true'
  const { default: otelPlugin } = await import('fastify-otel-kit')
  await app.register(otelPlugin, { serviceName: 'x', handleSignals: false })
}
app.get('/orders/:id', async (request) => ({ id: request.params.id, ok: true }))
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`)
createInterface({ input: process.stdin }).on('close', () => process.exit(0))
