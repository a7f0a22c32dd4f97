/**
 * What a failed export means for the queue and the retries, in the protocol's own terms turned
 * into shared ones. Each protocol's exporter classifies the errors it reports (gRPC status codes,
 * HTTP status codes); the queue and the retrying exporter read only this, so neither knows any
 * protocol.
 */
export type FailureKind =
  /** Nothing was processed and a later try may go through (the collector unreachable, a timeout, 503). */
  | 'transient'
  /** The collector asks for less traffic (a quota, a rate limit): retried only when it says when. */
  | 'throttled'
  /** The request was refused for its size: split in halves, each half goes through. */
  | 'too-large'
  /** Trying again will not help (bad data, no credentials, an unknown error). */
  | 'permanent'

export interface ExportFailure {
  kind: FailureKind
  /** The collector's own hint for when to try again (gRPC RetryInfo, HTTP Retry-After). */
  retryAfterMillis?: number
  /** The collector could not be reached at all: the next try costs one connection attempt. */
  unreachable?: boolean
}

const FAILURE = Symbol.for('fastify-otel-kit.export-failure')
const PERMANENT: ExportFailure = Object.freeze({ kind: 'permanent' })

type Classified = { [FAILURE]?: ExportFailure }

/** Marks `error` with what it means; returns the same error. */
export function classifyFailure<E> (error: E, failure: ExportFailure): E {
  if (error !== null && typeof error === 'object') (error as Classified)[FAILURE] = failure
  return error
}

/** What a failed export means; an error no exporter classified is permanent. */
export function failureOf (error: unknown): ExportFailure {
  return (error !== null && typeof error === 'object' ? (error as Classified)[FAILURE] : undefined) ?? PERMANENT
}

/** Whether an exporter has already said what `error` means. */
export function isClassified (error: unknown): boolean {
  return error !== null && typeof error === 'object' && (error as Classified)[FAILURE] !== undefined
}
