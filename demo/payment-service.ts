import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { Piscina } from 'piscina'
import otelPlugin, { withSpan } from '../plugin/index.js'
import type { OtelPluginOptions } from '../plugin/options.js'
import { runInWorker } from '../workers/index.js'

export class GatewayTimeoutError extends Error {
  override name = 'GatewayTimeoutError'
  readonly statusCode = 504
}

export interface PaymentServiceOptions {
  gatewayUrl: string
  /** Where the service's pino lines go (they are exported as log records either way). */
  logStream?: { write: (line: string) => void }
  /** Plugin options on top of the demo's own (the exporter endpoint, say). */
  otel?: OtelPluginOptions
}

/**
 * A payment processor: a refund first checks the caller's entitlements (in a preHandler hook, over
 * a client nobody instrumented), then runs a domain span (refund.process with order and payment
 * attributes), calls the payment gateway (a CLIENT span that times out sometimes), offloads the
 * receipt's CPU work to a Piscina pool, and records the ledger entry.
 */
export async function buildPaymentService (options: PaymentServiceOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logStream === undefined ? false : { level: 'info', stream: options.logStream }
  })
  await app.register(otelPlugin, {
    serviceName: 'payment-processor',
    serviceVersion: '1.4.2',
    deploymentEnvironment: 'demo',
    ignore: ['/health'],
    ...options.otel
  })
  const receipts = new Piscina({ filename: join(__dirname, 'receipt-worker.js'), maxThreads: 2 })
  app.addHook('onClose', async () => {
    await receipts.destroy()
  })

  app.get('/health', async () => ({ ok: true }))

  app.post<{ Params: { orderId: string }; Body: { amount: number } }>(
    '/refunds/:orderId',
    {
      schema: {
        body: { type: 'object', required: ['amount'], properties: { amount: { type: 'number', exclusiveMinimum: 0 } } }
      },
      preHandler: checkEntitlements
    },
    async function refund (request) {
      const { orderId } = request.params
      const { amount } = request.body
      request.log.info({ orderId, amount }, 'refund requested')
      return await withSpan(
        'refund.process',
        {
          'order.id': orderId,
          'payment.amount': amount,
          'payment.currency': 'USD'
        },
        async () => {
          try {
            await callGateway(request.otel, options.gatewayUrl, orderId, amount)
          } catch (error) {
            request.log.warn({ orderId }, 'payment gateway did not answer in time; refund not issued')
            throw error
          }
          const receipt = await runInWorker<{ receiptId: string }>(receipts, { orderId, amount })
          await withSpan('ledger.record', { 'order.id': orderId }, async () => {
            // Stands for a database write.
            await new Promise((resolve) => setTimeout(resolve, 3))
            request.log.info({ orderId, receiptId: receipt.receiptId }, 'refund recorded in the ledger')
          })
          return { orderId, refunded: amount, receiptId: receipt.receiptId }
        },
        {
          errorDescription: (error) => (error instanceof GatewayTimeoutError ? 'Gateway timeout' : String(error))
        }
      )
    }
  )
  return app
}

/**
 * Asks the entitlement service whether the caller may refund. It stands for a call through a
 * client without instrumentation, so no span of the application covers it: the time the plugin's
 * lifecycle timing finds, names (`preHandler - checkEntitlements`) and sums up per route.
 */
async function checkEntitlements (): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ENTITLEMENT_LOOKUP_MILLIS))
}
const ENTITLEMENT_LOOKUP_MILLIS = 200

async function callGateway (
  otel: { fetch: (url: string, init?: RequestInit) => Promise<Response> },
  gatewayUrl: string,
  orderId: string,
  amount: number
): Promise<void> {
  try {
    const res = await otel.fetch(`${gatewayUrl}/refunds/${orderId}`, {
      method: 'POST',
      body: JSON.stringify({ amount }),
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(250)
    })
    await res.text()
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') {
      throw new GatewayTimeoutError(`payment gateway did not answer for order ${orderId}`)
    }
    throw error
  }
}
