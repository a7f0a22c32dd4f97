import type { ExportFailure } from '../failure.js'
import { readFields, WIRE_BYTES, WIRE_VARINT } from '../protobuf/protowire.js'

/** gRPC status codes this package reasons about. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16
} as const

/** Transient failures the OTLP specification says to retry. */
const RETRYABLE: ReadonlySet<number> = new Set([
  GrpcCode.CANCELLED,
  GrpcCode.DEADLINE_EXCEEDED,
  GrpcCode.ABORTED,
  GrpcCode.OUT_OF_RANGE,
  GrpcCode.UNAVAILABLE,
  GrpcCode.DATA_LOSS
])

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo'

/**
 * The retry delay from `grpc-status-details-bin`: a google.rpc.Status whose details (field 3,
 * Any) may hold a google.rpc.RetryInfo { Duration retry_delay = 1 }.
 */
export function serverRetryDelay (error: unknown): number | undefined {
  const metadata = (error as { metadata?: { get?: (key: string) => unknown[] } } | null | undefined)?.metadata
  const details = typeof metadata?.get === 'function' ? metadata.get('grpc-status-details-bin')[0] : undefined
  if (!Buffer.isBuffer(details)) return undefined
  try {
    for (const detail of readFields(details)) {
      if (detail.field !== 3 || detail.wire !== WIRE_BYTES) continue
      const any = readFields(detail.value as Buffer)
      const typeUrl = any.find((f) => f.field === 1 && f.wire === WIRE_BYTES)?.value as Buffer | undefined
      const value = any.find((f) => f.field === 2 && f.wire === WIRE_BYTES)?.value as Buffer | undefined
      if (typeUrl?.toString('utf8') !== RETRY_INFO_TYPE || value === undefined) continue
      const duration = readFields(value).find((f) => f.field === 1 && f.wire === WIRE_BYTES)?.value as
        Buffer | undefined
      if (duration === undefined) return 0
      const parts = readFields(duration)
      const seconds = (parts.find((f) => f.field === 1 && f.wire === WIRE_VARINT)?.value as bigint | undefined) ?? 0n
      const nanos = (parts.find((f) => f.field === 2 && f.wire === WIRE_VARINT)?.value as bigint | undefined) ?? 0n
      return Number(seconds) * 1000 + Number(nanos) / 1e6
    }
  } catch {
    // Malformed details: behave as if the server gave no hint.
  }
  return undefined
}

/**
 * The transport's refusal of a request over its size limit, before sending; the collector would
 * have answered RESOURCE_EXHAUSTED, so it carries that code.
 */
export class RequestTooLargeError extends Error {
  readonly code = GrpcCode.RESOURCE_EXHAUSTED
  readonly details = 'request over the message size limit'

  constructor (
    readonly bytes: number,
    readonly limitBytes: number
  ) {
    super(
      `${GrpcCode.RESOURCE_EXHAUSTED} RESOURCE_EXHAUSTED: the request is ${bytes} bytes, ` +
        `over the ${limitBytes}-byte limit; not sent`
    )
  }
}

/**
 * How servers word a message-size refusal: gRPC's own ("Received message larger than max (N vs.
 * M)" in grpc-go, grpc-js and C core), and the plainer wordings of proxies and other backends.
 */
const SIZE_REFUSAL = /larger than max|too large|message size/i

/**
 * A request refused for its size: the transport's own refusal, or RESOURCE_EXHAUSTED without
 * RetryInfo whose message names the size. Split and sent again, it goes through. A
 * RESOURCE_EXHAUSTED that names no size is a quota or a rate limit (throttled): splitting would
 * only send more requests.
 */
export function isTooLarge (error: unknown): boolean {
  if (error instanceof RequestTooLargeError) return true
  if (!isResourceExhausted(error) || serverRetryDelay(error) !== undefined) return false
  const { details, message } = error as { details?: unknown; message?: unknown }
  return [details, message].some((text) => typeof text === 'string' && SIZE_REFUSAL.test(text))
}

/** A gRPC failure in the terms the queue and the retries read (export/failure.ts). */
export function classifyGrpcError (error: unknown): ExportFailure {
  if (isTooLarge(error)) return { kind: 'too-large' }
  const code = (error as { code?: unknown } | null | undefined)?.code
  if (typeof code !== 'number') return { kind: 'permanent' }
  const retryAfterMillis = serverRetryDelay(error)
  const hint = retryAfterMillis === undefined ? {} : { retryAfterMillis }
  if (RETRYABLE.has(code)) {
    return { kind: 'transient', ...hint, ...(code === GrpcCode.UNAVAILABLE ? { unreachable: true } : {}) }
  }
  if (code === GrpcCode.RESOURCE_EXHAUSTED) return { kind: 'throttled', ...hint }
  return { kind: 'permanent' }
}

function isResourceExhausted (error: unknown): boolean {
  return (error as { code?: unknown } | null | undefined)?.code === GrpcCode.RESOURCE_EXHAUSTED
}
