// Where the time went: a slow hook becomes a span of its own, the request span says how much of it
// no span covered, and app.otel.routeSummary() sums it up per route.
import Fastify from 'fastify'
import otelPlugin, { formatRouteSummary } from 'fastify-otel-kit'
import { setTimeout as sleep } from 'node:timers/promises'

const app = Fastify()
// lifecycleSpans: 'slow' is the default: hooks, handlers and phases of 10 ms or more become spans.
await app.register(otelPlugin, { serviceName: 'payment-processor' })

app.post('/refunds/:orderId', {
  preHandler: async function checkEntitlements () {
    await sleep(200) // an entitlement service nobody traced
  }
}, async () => ({ refunded: true }))

await app.inject({ method: 'POST', url: '/refunds/ord-7421' })
console.log(formatRouteSummary(app.otel.routeSummary()).join('\n'))
// POST /refunds/:orderId: 100 % of 202 ms is not covered by any span;
//   slowest hook preHandler - checkEntitlements 200 ms (1 request, p95 202 ms)
await app.close()
