import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'

const app = Fastify({ logger: true })
await app.register(otelPlugin, {
  serviceName: 'payment-processor',
  exporter: { endpoint: 'http://localhost:4318' } // OTLP/HTTP; OTEL_EXPORTER_OTLP_ENDPOINT overrides it
})

app.get('/orders/:id', async (request) => {
  request.log.info('loading order') // this line carries trace_id, span_id and trace_flags
  return { id: request.params.id, traceId: request.otel.traceId }
})

await app.listen({ port: Number(process.env.PORT ?? 3000) })
// SIGTERM or Ctrl-C: the plugin flushes the spans, closes the app and exits.
