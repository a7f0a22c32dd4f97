// The export pipeline's books: app.otel.stats().
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'

const app = Fastify()
await app.register(otelPlugin, { serviceName: 'payment-processor' })
app.get('/', async () => 'ok')
for (let i = 0; i < 3; i++) await app.inject({ url: '/' })

await app.otel.forceFlush()
const stats = app.otel.stats()
console.log(stats)
// { created: 3, queued: 0, exported: 3, dropped: 0, failed: 0, retries: 0, lostInWorkers: 0 }
const { created, exported, dropped, failed, queued } = stats
console.log(created === exported + dropped + failed + queued) // true, at every moment
await app.close()
