// Types of the queue helpers: the carrier, the span, what fn returns, and the options checked.
import type { Span } from '@opentelemetry/api'
import {
  type ConsumerOptions,
  type MessageCarrier,
  type MessagingTarget,
  type ProducerOptions,
  withConsumerSpan,
  withProducerSpan
} from 'fastify-otel-kit/context'
import { withConsumerSpan as fromMain, withProducerSpan as producerFromMain } from 'fastify-otel-kit'

/** Marks values as used. */
function use (..._values: unknown[]): void {}

export async function queue (): Promise<void> {
  const target: MessagingTarget = { system: 'bullmq', destination: 'receipts' }
  const producer: ProducerOptions = { ...target, messageCount: 2, attributes: { 'app.tenant': 'acme' } }
  const id: string = await withProducerSpan(producer, async (carrier: MessageCarrier, span: Span) => {
    const traceparent: string | undefined = carrier.traceparent
    const at: number | undefined = carrier.enqueuedAt
    use(traceparent, at, span)
    return 'job-1'
  })
  const consumer: ConsumerOptions = { ...target, parent: 'link-only', enqueuedAt: new Date(), messageId: id }
  const done: number = withConsumerSpan({ traceparent: 'x' }, consumer, (span: Span) => (span.isRecording() ? 1 : 0))
  const batch: Promise<void> = withConsumerSpan([{}, {}], { ...target, enqueuedAt: 0 }, async () => {})
  use(done, batch, fromMain, producerFromMain)
  // @ts-expect-error the destination is required
  withProducerSpan({ system: 'bullmq' }, () => {})
  // @ts-expect-error parent is 'producer' or 'link-only'
  withConsumerSpan({}, { ...target, parent: 'child' }, () => {})
}
