import { type Attributes, type Context, type Link, type Span, type SpanContext, SpanKind } from '@opentelemetry/api'
import { carriedString, toContext } from './carrier.js'
import { isValidSpanContext } from './hex.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from './instrumentation-scope.js'
import {
  type ConsumerOptions,
  epochMillis,
  MESSAGING_BATCH_MESSAGE_COUNT,
  MESSAGING_DESTINATION_NAME,
  MESSAGING_MESSAGE_ID,
  MESSAGING_SYSTEM,
  messageIdOf,
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
 * When another instrumentation's CONSUMER span for this message is active (a messaging library's
 * own, such as BullMQ's with bullmq-otel), no second one is started: `fn` runs in that span, which
 * gets the link to the producer (unless the producer is its parent) and the message's attributes it
 * lacks. A CONSUMER span of this package's, or one naming another system or destination, is a
 * parent like any other span.
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

  // The message's baggage travels with its work, whichever span is the parent; anything else the
  // active context holds (suppressed tracing, other libraries' values) stays as it is.
  const baggage = creations.length === 1 ? propagation.getBaggage(creations[0]!) : undefined
  const withBaggage = baggage === undefined ? ambient : propagation.setBaggage(ambient, baggage)
  const count = batch && messages.length !== 1 ? messages.length : undefined
  const wait = queueWait(options, messages)

  if (ambientSpan !== undefined && isJoinable(ambientSpan, attributes)) {
    // Another instrumentation's CONSUMER span for this message: join it rather than nest a second one.
    const extra = { ...options.attributes, ...messageAttributes(options, batch, count, wait) }
    joinConsumerSpan(ambientSpan, producers, extra)
    return context.with(withBaggage, () => fn(ambientSpan))
  }

  const ambientSpanContext = trace.getSpanContext(ambient)
  const inAmbientSpan = isValidSpanContext(ambientSpanContext)
  const links: Link[] = producers.map((producer) => ({ context: producer }))
  let parent: Context = withBaggage
  if (!batch && producers.length === 1 && (parentChoice ?? (inAmbientSpan ? 'link-only' : 'producer')) === 'producer') {
    parent = trace.setSpanContext(parent, producers[0]!)
    // Processing inside another span that is not its parent: keep that relation as a link.
    if (inAmbientSpan && !sameSpan(ambientSpanContext, producers[0]!)) links.push({ context: ambientSpanContext })
  }

  Object.assign(attributes, messageAttributes(options, batch, count, wait))
  const tracer = options.tracer ?? trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION)
  const span = tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes, links }, parent)
  ownConsumerSpans.add(span)
  return runInSpan(span, trace.setSpan(parent, span), () => fn(span))
}

/**
 * The CONSUMER spans this package started: never joined, since one of them active means the
 * message is processed inside another message's (or a batch's) processing, which gets a span of
 * its own.
 */
const OWN_CONSUMER_SPANS = Symbol.for('fastify-otel-kit.own-consumer-spans')
// One set for the process: the package ships an ES module build and a CommonJS one, and a span
// started by either is the package's.
const ownConsumerSpans: WeakSet<Span> = ((globalThis as Record<symbol, WeakSet<Span> | undefined>)[
  OWN_CONSUMER_SPANS
] ??= new WeakSet<Span>())

/**
 * Whether the active span is another instrumentation's CONSUMER span for this message: it records,
 * was started as CONSUMER, is not this package's, and names no other system or destination than
 * ours where it names one (BullMQ's names neither; a Kafka consumer's span active while a RabbitMQ
 * message is handled names another system).
 */
function isJoinable (span: Span, ours: Attributes): boolean {
  if (!span.isRecording() || (span as { kind?: unknown }).kind !== SpanKind.CONSUMER) return false
  if (ownConsumerSpans.has(span)) return false
  const theirs = (span as { attributes?: Attributes }).attributes
  if (theirs === undefined || theirs === null) return true
  for (const key of [MESSAGING_SYSTEM, MESSAGING_DESTINATION_NAME]) {
    const value = theirs[key]
    if (value !== undefined && value !== ours[key]) return false
  }
  return true
}

/**
 * Gives a joined span what withConsumerSpan would have given its own: a link to each producer that
 * is not already its parent or one of its links, and the message's attributes it does not have yet
 * (the id, the queue wait, the caller's); its name, kind and the other instrumentation's attributes
 * stay.
 */
function joinConsumerSpan (span: Span, producers: SpanContext[], extra: Attributes): void {
  const readable = span as { attributes?: Attributes; links?: Link[]; parentSpanContext?: SpanContext }
  const own = span.spanContext()
  const parent = readable.parentSpanContext
  const linked = readable.links ?? []
  for (const producer of producers) {
    const isParent = parent !== undefined ? sameSpan(parent, producer) : producer.traceId === own.traceId
    if (isParent || linked.some((link) => sameSpan(link.context, producer))) continue
    span.addLink?.({ context: producer })
  }
  const present = readable.attributes ?? {}
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined && present[key] === undefined) span.setAttribute(key, value)
  }
}

/** The attributes of the message itself: its id (one message), the batch's size, the queue wait. */
function messageAttributes (
  options: ConsumerOptions,
  batch: boolean,
  count: number | undefined,
  wait: number | undefined
): Attributes {
  const attributes: Attributes = {}
  // A batch of one is a single message, with its id (as the producer's messageCount: 1).
  const id = batch && count !== undefined ? undefined : messageIdOf(options.messageId)
  if (id !== undefined) attributes[MESSAGING_MESSAGE_ID] = id
  if (count !== undefined) attributes[MESSAGING_BATCH_MESSAGE_COUNT] = count
  if (wait !== undefined) attributes[QUEUE_WAIT_TIME] = wait
  return attributes
}

/** The queue wait in milliseconds: a producer's clock ahead of the consumer's gives none rather than a negative one. */
function queueWait (options: ConsumerOptions, messages: unknown[]): number | undefined {
  const now = Date.now()
  const enqueuedAt = epochMillis(options.enqueuedAt) ?? oldestEnqueue(messages)
  return enqueuedAt !== undefined && enqueuedAt <= now ? now - enqueuedAt : undefined
}

function sameSpan (a: SpanContext, b: SpanContext): boolean {
  return a.traceId === b.traceId && a.spanId === b.spanId
}

/** The earliest `enqueuedAt` among the carriers, if any has one. */
function oldestEnqueue (messages: unknown[]): number | undefined {
  let oldest: number | undefined
  for (const m of messages) {
    const at = enqueuedAtOf(m)
    if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at
  }
  return oldest
}

/**
 * A carrier's `enqueuedAt`: a number, or the same written as text in the shapes a carrier's other
 * fields may take (bytes, SQS's `{ StringValue }`). A carrier whose read throws has none.
 */
function enqueuedAtOf (message: unknown): number | undefined {
  if (message === null || typeof message !== 'object') return undefined
  try {
    const raw = (message as { enqueuedAt?: unknown }).enqueuedAt
    if (typeof raw === 'number' || raw instanceof Date) return epochMillis(raw)
    const text = carriedString(raw, 20)
    return text === undefined || !/^\d+$/.test(text) ? undefined : epochMillis(Number(text))
  } catch {
    return undefined
  }
}
