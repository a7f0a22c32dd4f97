/**
 * The hints added to an export failure's message when TLS is what failed: the same words over
 * OTLP/HTTP (Node's error codes and texts, http-status.ts) and OTLP/gRPC (grpc-js's text,
 * grpc-hints.ts). OpenSSL's own words are read where the code says little: on TLS 1.2 Node gives
 * every handshake alert as EPROTO, a plaintext port included.
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

const NO_HTTP2_OVER_TLS_HINT =
  'the endpoint does not offer HTTP/2 over TLS (no application protocol in common): is it an OTLP/HTTP ' +
  'port, or a proxy that passes only HTTP/1.1? OTLP/gRPC needs HTTP/2'

/** The collector's certificate did not verify: against the system's CAs, or against the CA file named. */
export function untrustedCollectorHint (tls: TlsGiven): string {
  return tls.ca === undefined
    ? "the collector's certificate is not trusted: name its CA in exporter.certificateFile " +
        '(OTEL_EXPORTER_OTLP_CERTIFICATE)'
    : "the collector's certificate does not verify against the CA file named (exporter.certificateFile, " +
        "OTEL_EXPORTER_OTLP_CERTIFICATE, or the signal's own): name the CA that signed it, or have the " +
        'collector send its intermediate certificates'
}

/** A hint from OpenSSL's words in an error's text, for what TLS was given; undefined when none fits. */
export function tlsHintFromText (message: string, tls: TlsGiven): string | undefined {
  if (/wrong version number|packet length too long/i.test(message)) return NOT_TLS_HINT
  if (/self[- ]signed certificate|unable to verify|unable to get (local )?issuer/i.test(message)) {
    return untrustedCollectorHint(tls)
  }
  if (/certificate required|alert number 116/i.test(message)) return CLIENT_CERTIFICATE_REQUIRED_HINT
  // TLS 1.2 has no alert of its own for a missing client certificate: a handshake failure then.
  if (tls.cert === undefined && /alert handshake failure|alert number 40\b/i.test(message)) {
    return CLIENT_CERTIFICATE_REQUIRED_HINT
  }
  if (tls.cert !== undefined && /unknown ca|bad certificate|alert number (48|42)\b/i.test(message)) {
    return CLIENT_CERTIFICATE_REFUSED_HINT
  }
  if (/no application protocol|alert number 120\b/i.test(message)) return NO_HTTP2_OVER_TLS_HINT
  return undefined
}
