import { MessageWriter } from '../sdk/export/protobuf/protowire.js'
import type { BodyFormat, Signal } from './receiver-types.js'

/**
 * What the receiver answers: the Export*ServiceResponse of a success (with its partial success) and
 * the google.rpc.Status of a failure, in either body format (OTLP/HTTP puts the Status in the
 * response body), and the Status with a RetryInfo that gRPC carries in `grpc-status-details-bin`.
 */

/** The partial success's count field of each signal's response (field 1, int64). */
const REJECTED_FIELD: Record<Signal, string> = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints'
}

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo'

/**
 * Export{Trace,Logs,Metrics}ServiceResponse { partial_success = 1 { int64 rejected_* = 1; string error_message = 2 } }:
 * empty without a partial success (zero bytes in protobuf, `{}` in JSON).
 */
export function exportResponse (
  signal: Signal,
  format: BodyFormat,
  partial?: { rejected: number; errorMessage: string }
): Buffer {
  if (format === 'json') {
    // int64 is a string in protobuf's JSON mapping.
    const body =
      partial === undefined
        ? {}
        : { partialSuccess: { [REJECTED_FIELD[signal]]: String(partial.rejected), errorMessage: partial.errorMessage } }
    return Buffer.from(JSON.stringify(body))
  }
  if (partial === undefined) return Buffer.alloc(0)
  const inner = new MessageWriter().varint(1, partial.rejected).bytes(2, partial.errorMessage).finish()
  return new MessageWriter().bytes(1, inner).finish()
}

/** google.rpc.Status { int32 code = 1; string message = 2 } */
export function statusMessage (format: BodyFormat, code: number, message: string): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify({ code, message }))
  return new MessageWriter().varint(1, code).bytes(2, message).finish()
}

/** google.rpc.Status { code = 1; message = 2; repeated Any details = 3 } with one RetryInfo detail. */
export function retryInfoStatus (code: number, message: string, retryDelayMillis: number): Buffer {
  return new MessageWriter().varint(1, code).bytes(2, message).bytes(3, retryInfoAny(retryDelayMillis)).finish()
}

/** Any { type_url = 1; value = 2: RetryInfo { Duration retry_delay = 1 { int64 seconds = 1; int32 nanos = 2 } } } */
function retryInfoAny (millis: number): Buffer {
  const duration = new MessageWriter()
    .varint(1, Math.floor(millis / 1000))
    .varint(2, Math.round((millis % 1000) * 1e6))
    .finish()
  const retryInfo = new MessageWriter().bytes(1, duration).finish()
  return new MessageWriter().bytes(1, RETRY_INFO_TYPE).bytes(2, retryInfo).finish()
}
