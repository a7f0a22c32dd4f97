// The ES module face of the package carries the same types as the CommonJS one.
import Fastify from 'fastify'
import otelPlugin, { otelPlugin as named, OtelKitConfigError } from 'fastify-otel-kit'
import { captureContext, withContext, attach, detach, type ContextCarrier } from 'fastify-otel-kit/context'

const app = Fastify()
await app.register(otelPlugin, { serviceName: 'esm' })
await app.register(named, { serviceName: 'esm-named' })
const carrier: ContextCarrier = captureContext()
const result: number = withContext(carrier, () => 1)
const token = attach(carrier)
detach(token)
const code: string = new OtelKitConfigError('FOK_ERR_INVALID_OPTION', 'x').code
app.get('/', async (request) => request.otel.traceId)
void [result, code]
