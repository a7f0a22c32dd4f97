import { type TlsGiven, tlsHintFromText } from '../tls-hints.js'

/**
 * What a user should check, for gRPC failures whose message says little. grpc-js reports every
 * connection problem as UNAVAILABLE, with the underlying reason only in its text ("Protocol error"
 * from a plaintext HTTP/1.1 server, OpenSSL's own words for TLS), so the reason is read from there.
 * (Its "Received HTTP status code 503" is a proxy whose upstream is down: no hint for that.)
 */
export function grpcErrorHint (message: string, tls: TlsGiven | undefined): string | undefined {
  if (/Protocol error/i.test(message)) {
    return (
      'the endpoint did not answer in HTTP/2 gRPC: is it an OTLP/HTTP port (4318), or a proxy that passes ' +
      'only HTTP/1.1? OTLP/gRPC listens on 4317'
    )
  }
  return tls === undefined ? undefined : tlsHintFromText(message, tls)
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
