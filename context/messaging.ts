import type { Attributes, Tracer } from '@opentelemetry/api'
import type { ContextCarrier } from './carrier.js'
import { PACKAGE_NAME } from './instrumentation-scope.js'

/**
 * Attribute names of the messaging semantic conventions (registry `messaging.*`, development
 * status), written out here: the conventions' package is not a dependency of this one.
 */
export const MESSAGING_SYSTEM = 'messaging.system'
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type'
export const MESSAGING_OPERATION_NAME = 'messaging.operation.name'
export const MESSAGING_DESTINATION_NAME = 'messaging.destination.name'
export const MESSAGING_DESTINATION_TEMPLATE = 'messaging.destination.template'
export const MESSAGING_MESSAGE_ID = 'messaging.message.id'
export const MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count'
/**
 * How long the message waited between its producer and its consumer, in milliseconds. The
 * conventions have no attribute for it (only system-specific enqueue times), so the name is ours,
 * outside the conventions' `messaging.*` namespace.
 */
export const QUEUE_WAIT_TIME = 'queue.wait_time_ms'

/** Where messages go: the same description on the producer's side and the consumer's. */
export interface MessagingTarget {
  /**
   * `messaging.system`: what carries the messages, as the conventions name it where they do
   * (`aws_sqs`, `rabbitmq`, `kafka`...), else a name of your own (`bullmq`, `postgresql.jobs`).
   */
  system: string
  /**
   * `messaging.destination.name`: the queue, topic or table. It is part of the span name
   * (`send emails`, `process emails`), so keep it low-cardinality: never an id per message.
   */
  destination: string
  /**
   * `messaging.destination.template`: what a destination made per tenant, user or session was
   * made from (`orders.{customer}` for `orders.cust-123`). When given, the span is named for it, as
   * the conventions ask, and `destination` keeps the real name in `messaging.destination.name`.
   */
  destinationTemplate?: string
  /** `messaging.operation.name`, the span name's first word. Default `send` / `process`. */
  operation?: string
  /**
   * `messaging.message.id`, when the operation is about one message whose id is known (a number
   * is written as its decimal string). Not set on a span for a batch.
   */
  messageId?: string | number
  /** More attributes for the span (`messaging.consumer.group.name`, your own...). */
  attributes?: Attributes
  /** Default: the global tracer provider's tracer named `fastify-otel-kit`. */
  tracer?: Tracer
}

export interface ProducerOptions extends MessagingTarget {
  /**
   * How many messages this one operation sends, when it sends a batch
   * (`messaging.batch.message_count`; the conventions leave it off a single message's span, so 1
   * sets nothing).
   */
  messageCount?: number
}

export interface ConsumerOptions extends MessagingTarget {
  /**
   * What the CONSUMER span's parent is (it always links to the message's producer):
   * - `producer`: the producer's span, so the message's work continues the producer's trace;
   * - `link-only`: whatever span is active where the message is processed (a span of your own
   *   around a polling loop, the HTTP request a broker pushed the message with), or none: then the
   *   message starts a new trace.
   * Default: `producer` when no span is active, `link-only` when one is, as the messaging
   * conventions recommend. A batch (an array of carriers) is always `link-only`.
   */
  parent?: 'producer' | 'link-only'
  /**
   * When the message was put on the queue (milliseconds since the epoch, or a Date), for the
   * queue wait: the broker's own record where it has one (BullMQ's `job.timestamp`, SQS's
   * `SentTimestamp`, a row's `created_at`). Default: the carrier's `enqueuedAt`.
   */
  enqueuedAt?: number | Date
}

/** What withProducerSpan hands over for the message: the producer span's context, and when it was captured. */
export interface MessageCarrier extends ContextCarrier {
  /** Milliseconds since the epoch at which the carrier was made (the consumer's queue wait starts there). */
  enqueuedAt?: number
}

/**
 * The span name and the attributes the conventions ask for (the message's id is the caller's to
 * add: only a span about one message has one). Checked here, once per call: a missing destination
 * or system is a mistake in the code, found on its first run.
 */
export function messagingSpan (
  helper: string,
  options: MessagingTarget,
  operationType: 'send' | 'process'
): { name: string; attributes: Attributes } {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${PACKAGE_NAME}: ${helper} needs options { system, destination }; received ${typeof options}.`)
  }
  const { system, destination, destinationTemplate, operation = operationType, attributes } = options
  const required: Array<[string, unknown]> = [
    ['system', system],
    ['destination', destination],
    ['operation', operation]
  ]
  if (destinationTemplate !== undefined) required.push(['destinationTemplate', destinationTemplate])
  for (const [name, value] of required) {
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(
        `${PACKAGE_NAME}: ${helper} needs options.${name} as a non-empty string; received ${typeof value}.`
      )
    }
  }
  return {
    name: `${operation} ${destinationTemplate ?? destination}`,
    attributes: {
      ...attributes,
      [MESSAGING_SYSTEM]: system,
      [MESSAGING_OPERATION_TYPE]: operationType,
      [MESSAGING_OPERATION_NAME]: operation,
      [MESSAGING_DESTINATION_NAME]: destination,
      ...(destinationTemplate !== undefined ? { [MESSAGING_DESTINATION_TEMPLATE]: destinationTemplate } : {})
    }
  }
}

/** `messaging.message.id` from what the caller gave: a non-empty string, or a whole number or bigint as its digits. */
export function messageIdOf (value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))) return String(value)
  return undefined
}

/** A time as milliseconds since the epoch, or undefined for anything that is not one. */
export function epochMillis (value: unknown): number | undefined {
  const millis = value instanceof Date ? value.getTime() : value
  return typeof millis === 'number' && Number.isFinite(millis) && millis > 0 ? millis : undefined
}
