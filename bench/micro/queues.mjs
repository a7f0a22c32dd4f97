// What the queue helpers cost beside the carrier alone, on a no-op queue (the message is handed
// straight from the producer to the consumer, so only the telemetry is measured). Spans are real:
// a registered SDK provider whose spans end into the package's processor chain (the URL and
// statement redaction included), the processor behind it discarding them; the batch queue's own
// cost per span is in the pipeline bench. The producer runs inside a sampled request span.
import { context, SpanKind, trace } from '@opentelemetry/api'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { captureContext, withConsumerSpan, withContext, withProducerSpan } from 'fastify-otel-kit/context'
// Internal: the package's processor chain, as every SDK it assembles has it.
import { ProcessorChain } from '../../dist/sdk/traces/processor-chain.js'

/** Bench cases for the queue helpers, run under a provider registered for them; `done()` unregisters it. */
export function queueCases () {
  let ended = 0
  const discard = { onStart () {}, onEnd: () => ended++, forceFlush: async () => {}, shutdown: async () => {} }
  const provider = new TracerProvider({ spanProcessors: [new ProcessorChain([discard])] })
  trace.setGlobalTracerProvider(provider)
  const request = provider.getTracer('bench').startSpan('POST /orders/:orderId', { kind: SpanKind.SERVER })
  const inRequest = trace.setSpan(context.active(), request)
  const target = { system: 'bullmq', destination: 'receipts' }
  const queue = [] // the no-op queue
  const work = () => 1
  const message = { orderId: 'ord-7421' }
  let sink

  const carrierAlone = context.with(inRequest, () => captureContext())
  const producerCarrier = context.with(inRequest, () => withProducerSpan(target, (otel) => otel))
  const cases = [
    [
      'queue: enqueue, carrier alone (captureContext)',
      () =>
        context.with(inRequest, () => {
          queue.push({ ...message, otel: captureContext() })
          sink = queue.pop()
        })
    ],
    [
      'queue: enqueue, withProducerSpan (PRODUCER span + carrier)',
      () =>
        context.with(inRequest, () =>
          withProducerSpan(target, (otel) => {
            queue.push({ ...message, otel })
            sink = queue.pop()
          })
        )
    ],
    [
      'queue: consume, carrier alone (withContext)',
      () => {
        sink = withContext(carrierAlone, work)
      }
    ],
    [
      'queue: consume, withConsumerSpan (producer as parent)',
      () => {
        sink = withConsumerSpan(producerCarrier, target, work)
      }
    ],
    [
      "queue: consume, withConsumerSpan (parent: 'link-only')",
      () => {
        sink = withConsumerSpan(producerCarrier, { ...target, parent: 'link-only' }, work)
      }
    ]
  ]
  return {
    cases,
    /** Unregisters the provider; returns how many spans ended (and the last message, so nothing is optimised away). */
    done: () => {
      request.end()
      trace.disable()
      return { ended, last: sink }
    }
  }
}
