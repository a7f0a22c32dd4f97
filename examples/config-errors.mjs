// A mistake in the options is a coded error at registration, never a half-instrumented service.
import Fastify from 'fastify'
import otelPlugin, { OtelKitConfigError } from 'fastify-otel-kit'

const app = Fastify()
try {
  await app.register(otelPlugin, { serviceNmae: 'payment-processor' })
} catch (error) {
  if (!(error instanceof OtelKitConfigError)) throw error
  console.log(error.code) // FOK_ERR_UNKNOWN_OPTION
  console.log(error.message) // fastify-otel-kit: unknown option "serviceNmae". Did you mean "serviceName"? ...
}
await app.close()
