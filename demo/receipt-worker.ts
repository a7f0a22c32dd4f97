/**
 * The demo's worker module: ordinary code on the OpenTelemetry API (traces and logs), with no
 * knowledge of fastify-otel-kit. runInWorker carries the request's trace into it, and its spans and
 * log records come home with the result.
 */
import { trace } from '@opentelemetry/api'
import { logs, SeverityNumber } from '@opentelemetry/api'
import { pbkdf2Sync } from 'node:crypto'

const tracer = trace.getTracer('payment.receipts')
const logger = logs.getLogger('payment.receipts')

export interface ReceiptRequest {
  orderId: string
  amount: number
}

export default function renderReceipt (request: ReceiptRequest): { receiptId: string } {
  return tracer.startActiveSpan('receipt.render', { attributes: { 'order.id': request.orderId } }, (span) => {
    const text = `Refund of ${request.amount.toFixed(2)} USD for order ${request.orderId}`
    // CPU-heavy on purpose: this is why the work runs in a worker thread.
    const digest = tracer.startActiveSpan('receipt.sign', (signSpan) => {
      const key = pbkdf2Sync(text, 'demo-salt', 40_000, 32, 'sha256').toString('hex')
      signSpan.end()
      return key
    })
    const receiptId = `rcpt-${digest.slice(0, 12)}`
    logger.emit({
      body: 'receipt signed',
      severityNumber: SeverityNumber.INFO,
      severityText: 'info',
      attributes: { receiptId }
    })
    span.end()
    return { receiptId }
  })
}
