import type { ExportOutcome, Transport } from './receiver-types.js'

/**
 * The status each listener answers an outcome with, and the receiver records: a gRPC code, and for
 * OTLP/HTTP the HTTP status beside the gRPC code that means the same, so `code === 0` reads
 * "accepted" whatever the transport.
 */

export const HTTP_STATUS = { OK: 200, BAD_REQUEST: 400, UNAUTHORIZED: 401 } as const

export function outcomeStatus (outcome: ExportOutcome, transport: Transport): { code: number; httpStatus?: number } {
  const status = (code: number, httpStatus: number): { code: number; httpStatus?: number } =>
    transport === 'grpc' ? { code } : { code, httpStatus }
  switch (outcome.kind) {
    case 'accepted':
      return status(0, HTTP_STATUS.OK)
    case 'undecodable':
      return status(3, HTTP_STATUS.BAD_REQUEST)
    case 'unauthenticated':
      return status(16, HTTP_STATUS.UNAUTHORIZED)
    case 'fault': {
      const { fault } = outcome
      if (transport === 'grpc') return { code: 'code' in fault ? fault.code : 2 }
      const httpStatus = 'httpStatus' in fault ? fault.httpStatus : 500
      return { code: 'code' in fault ? fault.code : grpcCodeFor(httpStatus), httpStatus }
    }
  }
}

/** The gRPC code of the same meaning as an HTTP status (UNKNOWN for those without one). */
export function grpcCodeFor (httpStatus: number): number {
  if (httpStatus >= 200 && httpStatus < 300) return 0
  switch (httpStatus) {
    case 400:
      return 3 // INVALID_ARGUMENT
    case 401:
      return 16 // UNAUTHENTICATED
    case 403:
      return 7 // PERMISSION_DENIED
    case 404:
      return 12 // UNIMPLEMENTED
    case 413:
      return 8 // RESOURCE_EXHAUSTED
    case 429:
      return 8 // RESOURCE_EXHAUSTED: throttled
    case 502:
    case 503:
    case 504:
      return 14 // UNAVAILABLE
    default:
      return 2 // UNKNOWN
  }
}
