/**
 * The hints added to an export failure's message when TLS is what failed: the same words over
 * OTLP/HTTP (Node's error codes, http-status.ts) and OTLP/gRPC (grpc-js's text, grpc-hints.ts).
 */

/** What the exporter's TLS was given: the hints differ when a CA or a client certificate was named. */
export interface TlsGiven {
  ca?: unknown
  cert?: unknown
}

export const NOT_TLS_HINT = 'the endpoint does not speak TLS: use http:// for a plaintext port'

export const CLIENT_CERTIFICATE_REQUIRED_HINT =
  'the collector requires a client certificate (mutual TLS): set exporter.clientKeyFile and ' +
  'exporter.clientCertificateFile (OTEL_EXPORTER_OTLP_CLIENT_KEY, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE)'

export const CLIENT_CERTIFICATE_REFUSED_HINT =
  'the collector refused the client certificate: is it signed by a CA the collector trusts?'

/** The collector's certificate did not verify: against the system's CAs, or against the CA file named. */
export function untrustedCollectorHint (tls: TlsGiven): string {
  return tls.ca === undefined
    ? "the collector's certificate is not trusted: name its CA in exporter.certificateFile " +
        '(OTEL_EXPORTER_OTLP_CERTIFICATE)'
    : "the collector's certificate is not signed by the CA file that exporter.certificateFile " +
        '(OTEL_EXPORTER_OTLP_CERTIFICATE) names: name the CA that signed it'
}
