import {
  CLIENT_CERTIFICATE_REFUSED_HINT,
  CLIENT_CERTIFICATE_REQUIRED_HINT,
  NOT_TLS_HINT,
  type TlsGiven,
  untrustedCollectorHint
} from '../tls-hints.js'

/**
 * What a user should check, for gRPC failures whose message says little. grpc-js reports every
 * connection problem as UNAVAILABLE, with the underlying reason only in its text ("Protocol error"
 * from an HTTP/1.1 server, OpenSSL's own words for TLS), so the reason is read from there.
 */
export function grpcErrorHint (message: string, tls: TlsGiven | undefined): string | undefined {
  if (/Protocol error|Received HTTP status code|unexpected HTTP status/i.test(message)) {
    return (
      'the endpoint did not answer in HTTP/2 gRPC: is it an OTLP/HTTP port (4318), or a proxy that passes ' +
      'only HTTP/1.1? OTLP/gRPC listens on 4317'
    )
  }
  if (tls === undefined) return undefined
  if (/wrong version number|packet length too long/i.test(message)) return NOT_TLS_HINT
  if (/self[- ]signed certificate|unable to verify|unable to get (local )?issuer/i.test(message)) {
    return untrustedCollectorHint(tls)
  }
  const handshakeRefused = tls.cert === undefined && /handshake failure/i.test(message)
  if (/certificate required|alert number 116/i.test(message) || handshakeRefused) return CLIENT_CERTIFICATE_REQUIRED_HINT
  if (tls.cert !== undefined && /unknown ca|bad certificate/i.test(message)) return CLIENT_CERTIFICATE_REFUSED_HINT
  return undefined
}

/**
 * grpc-js's message without its empty parts: "Last error: null." and a trailing "Resolution note: "
 * with nothing after it say nothing, and end up in warnings as they are.
 */
export function tidyGrpcMessage (message: string): string {
  return message
    .replace(/\s*Last error: null\.?/, '')
    .replace(/\s*Resolution note:\s*$/, '')
}
