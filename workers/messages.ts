import type { ContextCarrier } from '../context/carrier.js'
import type { RelayedSpan } from './relay-format.js'

/**
 * The messages between runInWorker (main thread) and the worker side. Plain data only: they are
 * structured-cloned, so the markers are string keys (symbols would not survive the clone).
 */
export const ENVELOPE_KEY = '__fastifyOtelKitTask'
export const REPLY_KEY = '__fastifyOtelKitReply'
/** Bumped if the shape changes, so mismatched versions on the two sides fail loudly. */
export const PROTOCOL_VERSION = 1

/** Which export of which module runs the task (Piscina's `filename` and `name`). */
export interface TaskTarget {
  filename: string
  name: string
}

export interface TaskEnvelope {
  [ENVELOPE_KEY]: typeof PROTOCOL_VERSION
  /** The dispatch span's context (or the caller's, without a span), as W3C + baggage. */
  carrier: ContextCarrier
  task: unknown
  target: TaskTarget
  /** Low-cardinality name for the spans: the task function's name, or the module's base name. */
  label: string
}

export interface TaskReply {
  [REPLY_KEY]: typeof PROTOCOL_VERSION
  ok: boolean
  result?: unknown
  /** What the task threw, cloned the way Piscina clones a task error. */
  error?: unknown
  /** Spans of this task that ended before it replied. */
  spans: RelayedSpan[]
  /** Spans of earlier tasks on this worker that ended after those tasks had replied. */
  lateSpans: RelayedSpan[]
  threadId: number
}

export function isEnvelope (value: unknown): value is TaskEnvelope {
  return value !== null && typeof value === 'object' && (value as Record<string, unknown>)[ENVELOPE_KEY] === PROTOCOL_VERSION
}

export function isReply (value: unknown): value is TaskReply {
  return value !== null && typeof value === 'object' && (value as Record<string, unknown>)[REPLY_KEY] === PROTOCOL_VERSION
}

/** Piscina's transferable wrapper (`Piscina.move()`), recognised by its registered symbols. */
export const PISCINA_TRANSFERABLE = Symbol.for('Piscina.transferable')
export const PISCINA_VALUE = Symbol.for('Piscina.valueOf')

export function isTransferableWrapper (value: unknown): value is { [PISCINA_TRANSFERABLE]: unknown, [PISCINA_VALUE]: unknown } {
  return value !== null && typeof value === 'object' && PISCINA_TRANSFERABLE in value && PISCINA_VALUE in value
}
