import type { ContextCarrier } from '../../context/carrier.js'
import type { RelayedSpan } from './relayed-span.js'

/**
 * The messages between runInWorker (main thread) and the worker side. They are structured-cloned
 * on every task, and the serializer charges per object: flat arrays with a marker string cost
 * about a third of the same data as nested objects (README, Performance), so that is their shape.
 * The marker carries the protocol version, so mismatched versions on the two sides fail loudly.
 */
export const ENVELOPE_MARK = 'fastify-otel-kit/task@1'
export const REPLY_MARK = 'fastify-otel-kit/reply@1'

/** Which export of which module runs the task (Piscina's `filename` and `name`). */
export interface TaskTarget {
  filename: string
  name: string
}

/** [mark, traceparent, tracestate, baggage, filename, name, label, task]; absent carrier fields are ''. */
export type TaskEnvelope = [typeof ENVELOPE_MARK, string, string, string, string, string, string, unknown]

/** [mark, ok (1 or 0), result or error, threadId, spans of this task or 0, late spans of earlier tasks or 0] */
export type TaskReply = [typeof REPLY_MARK, 0 | 1, unknown, number, RelayedSpan[] | 0, RelayedSpan[] | 0]

export function makeEnvelope (carrier: ContextCarrier, target: TaskTarget, label: string, task: unknown): TaskEnvelope {
  return [ENVELOPE_MARK, carrier.traceparent ?? '', carrier.tracestate ?? '', carrier.baggage ?? '', target.filename, target.name, label, task]
}

export const envelopeCarrier = (envelope: TaskEnvelope): ContextCarrier => {
  const carrier: ContextCarrier = {}
  if (envelope[1] !== '') carrier.traceparent = envelope[1]
  if (envelope[2] !== '') carrier.tracestate = envelope[2]
  if (envelope[3] !== '') carrier.baggage = envelope[3]
  return carrier
}
export const envelopeTarget = (envelope: TaskEnvelope): TaskTarget => ({ filename: envelope[4], name: envelope[5] })
export const envelopeLabel = (envelope: TaskEnvelope): string => envelope[6]
export const envelopeTask = (envelope: TaskEnvelope): unknown => envelope[7]

export function isEnvelope (value: unknown): value is TaskEnvelope {
  return Array.isArray(value) && value.length === 8 && value[0] === ENVELOPE_MARK
}

export function isReply (value: unknown): value is TaskReply {
  return Array.isArray(value) && value.length === 6 && value[0] === REPLY_MARK
}

/** Piscina's transferable wrapper (`Piscina.move()`), recognised by its registered symbols. */
export const PISCINA_TRANSFERABLE = Symbol.for('Piscina.transferable')
export const PISCINA_VALUE = Symbol.for('Piscina.valueOf')

export function isTransferableWrapper (value: unknown): value is { [PISCINA_TRANSFERABLE]: unknown, [PISCINA_VALUE]: unknown } {
  return value !== null && typeof value === 'object' && PISCINA_TRANSFERABLE in value && PISCINA_VALUE in value
}
