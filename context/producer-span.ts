import { type Span, SpanKind } from '@opentelemetry/api'
import { captureContext } from './carrier.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from './instrumentation-scope.js'
import {
  MESSAGING_BATCH_MESSAGE_COUNT,
  MESSAGING_MESSAGE_ID,
  type MessageCarrier,
  messageIdOf,
  messagingSpan,
  type ProducerOptions
} from './messaging.js'
import { context, trace } from './otel-api.js'
import { runInSpan } from './run-in-span.js'

/**
 * Runs `fn` inside a PRODUCER span (`send {destination}`, a child of the active span) and hands it
 * the carrier to put in the message: the producer span's context (W3C Trace Context and Baggage,
 * as captureContext gives it) plus the time it was made, for the consumer's queue wait. The span
 * ends when `fn` returns or its promise settles; a throw or rejection is recorded on it (ERROR,
 * `error.type`, the exception) and passed on. On success the status stays unset, as the
 * conventions ask of instrumentation. Returns what `fn` returns.
 *
 * ```ts
 * await withProducerSpan({ system: 'bullmq', destination: 'emails' }, async (otel, span) => {
 *   const job = await queue.add('receipt', { orderId, otel })
 *   span.setAttribute('messaging.message.id', job.id)
 * })
 * ```
 */
export function withProducerSpan<T> (options: ProducerOptions, fn: (carrier: MessageCarrier, span: Span) => T): T {
  const { name, attributes } = messagingSpan('withProducerSpan', options, 'send')
  if (typeof fn !== 'function') {
    throw new TypeError(`${PACKAGE_NAME}: withProducerSpan needs a function to run; received ${typeof fn}.`)
  }
  const count = options.messageCount
  const isBatch = typeof count === 'number' && Number.isInteger(count) && count >= 0 && count !== 1
  // The conventions: a count only on a batch's span, an id only on a single message's.
  if (isBatch) attributes[MESSAGING_BATCH_MESSAGE_COUNT] = count
  const id = isBatch ? undefined : messageIdOf(options.messageId)
  if (id !== undefined) attributes[MESSAGING_MESSAGE_ID] = id
  const tracer = options.tracer ?? trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION)
  const parent = context.active()
  const span = tracer.startSpan(name, { kind: SpanKind.PRODUCER, attributes }, parent)
  const active = trace.setSpan(parent, span)
  // The message's creation context is this span's, captured now: the moment the message is made.
  const carrier: MessageCarrier = captureContext(active)
  carrier.enqueuedAt = Date.now()
  return runInSpan(span, active, () => fn(carrier, span))
}
