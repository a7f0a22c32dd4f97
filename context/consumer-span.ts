import { type Context, type Link, type Span, type SpanContext, SpanKind } from '@opentelemetry/api'
import { toContext } from './carrier.js'
import { isValidSpanContext } from './hex.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from './instrumentation-scope.js'
import {
  type ConsumerOptions,
  epochMillis,
  MESSAGING_BATCH_MESSAGE_COUNT,
  messagingSpan,
  QUEUE_WAIT_TIME
} from './messaging.js'
import { context, propagation, trace } from './otel-api.js'
import { runInSpan } from './run-in-span.js'

/**
 * Runs `fn` inside a CONSUMER span (`process {destination}`) for a message, or a batch of
 * messages, that came off a queue. `message` is the carrier the producer put in it
 * (withProducerSpan's, or any captureContext carrier), or an array of them for a batch; a
 * missing or malformed carrier is no error (the message is processed without a producer).
 *
 * The span links to each message's producer and records the queue wait (`queue.wait_time_ms`,
 * from the carrier's `enqueuedAt` or `options.enqueuedAt`); its parent follows `options.parent`.
 * It ends when `fn` returns or its promise settles; a throw or rejection is recorded on it and
 * passed on. Returns what `fn` returns.
 *
 * When a CONSUMER span is already active (a messaging library's own instrumentation, such as
 * BullMQ's with bullmq-otel, made one for this message), no second one is started: `fn` runs in
 * that span, which gets the link to the producer when the producer is in another trace.
 */
export function withConsumerSpan<T> (message: unknown, options: ConsumerOptions, fn: (span: Span) => T): T {
  const { name, attributes } = messagingSpan('withConsumerSpan', options, 'process')
  if (typeof fn !== 'function') {
    throw new TypeError(`${PACKAGE_NAME}: withConsumerSpan needs a function to run; received ${typeof fn}.`)
  }
  const batch = Array.isArray(message)
  const parentChoice = options.parent
  if (parentChoice !== undefined && parentChoice !== 'producer' && parentChoice !== 'link-only') {
    throw new TypeError(
      `${PACKAGE_NAME}: withConsumerSpan's options.parent is 'producer' or 'link-only'; ` +
        `received ${String(parentChoice)}.`
    )
  }
  if (batch && parentChoice === 'producer') {
    throw new TypeError(
      `${PACKAGE_NAME}: withConsumerSpan cannot make a batch's producer the parent (a span has one parent); ` +
        "use parent: 'link-only' for a batch."
    )
  }
  const ambient = context.active()
  const ambientSpan = trace.getSpan(ambient)
  const messages: unknown[] = batch ? message : [message]
  const creations = messages.map((m) => toContext(m))
  const producers = creations.map((c) => trace.getSpanContext(c)).filter(isValidSpanContext)

  if (ambientSpan !== undefined && isRecordingConsumer(ambientSpan)) {
    // Another instrumentation's CONSUMER span for this message: join it rather than nest a second one.
    const own = ambientSpan.spanContext().traceId
    for (const producer of producers) if (producer.traceId !== own) ambientSpan.addLink?.({ context: producer })
    return context.with(ambient, () => fn(ambientSpan))
  }

  const ambientSpanContext = trace.getSpanContext(ambient)
  const inAmbientSpan = isValidSpanContext(ambientSpanContext)
  const links: Link[] = producers.map((producer) => ({ context: producer }))
  // The message's baggage travels with its work, whichever span is the parent; anything else the
  // active context holds (suppressed tracing, other libraries' values) stays as it is.
  const baggage = creations.length === 1 ? propagation.getBaggage(creations[0]!) : undefined
  let parent: Context = baggage === undefined ? ambient : propagation.setBaggage(ambient, baggage)
  if (!batch && producers.length === 1 && (parentChoice ?? (inAmbientSpan ? 'link-only' : 'producer')) === 'producer') {
    parent = trace.setSpanContext(parent, producers[0]!)
    // Processing inside another span that is not its parent: keep that relation as a link.
    if (inAmbientSpan && !sameSpan(ambientSpanContext, producers[0]!)) links.push({ context: ambientSpanContext })
  }

  if (batch) attributes[MESSAGING_BATCH_MESSAGE_COUNT] = messages.length
  const now = Date.now()
  const enqueuedAt = epochMillis(options.enqueuedAt) ?? oldestEnqueue(messages)
  // A producer's clock ahead of the consumer's gives no wait at all rather than a negative one.
  if (enqueuedAt !== undefined && enqueuedAt <= now) attributes[QUEUE_WAIT_TIME] = now - enqueuedAt

  const tracer = options.tracer ?? trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION)
  const span = tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes, links }, parent)
  return runInSpan(span, trace.setSpan(parent, span), () => fn(span))
}

/** A span of the SDK (or this package's) that records, and was started as CONSUMER. */
function isRecordingConsumer (span: Span): boolean {
  return span.isRecording() && (span as { kind?: unknown }).kind === SpanKind.CONSUMER
}

function sameSpan (a: SpanContext, b: SpanContext): boolean {
  return a.traceId === b.traceId && a.spanId === b.spanId
}

/** The earliest `enqueuedAt` among the carriers, if any has one. */
function oldestEnqueue (messages: unknown[]): number | undefined {
  let oldest: number | undefined
  for (const m of messages) {
    const at = m !== null && typeof m === 'object' ? epochMillis((m as { enqueuedAt?: unknown }).enqueuedAt) : undefined
    if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at
  }
  return oldest
}
