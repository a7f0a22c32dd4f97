import { type TlsGiven, tlsHintFromText, untrustedCollectorHint } from '../tls-hints.js'
import type { ExportFailure } from '../failure.js'

/**
 * HTTP statuses and network errors in the terms the queue and the retries read
 * (export/failure.ts), as the OTLP/HTTP specification has them: 429, 502, 503 and 504 are
 * retried (after `Retry-After` when the collector sends one, else with backoff); 413 means the
 * request was too large (the queue splits the batch); every other status is permanent.
 */
export function classifyHttpStatus (status: number, retryAfter: string | undefined): ExportFailure {
  if (status === 413) return { kind: 'too-large' }
  if (status !== 429 && status !== 502 && status !== 503 && status !== 504) return { kind: 'permanent' }
  const retryAfterMillis = parseRetryAfter(retryAfter)
  const hint = retryAfterMillis === undefined ? {} : { retryAfterMillis }
  // A rate limit that says when is the collector asking for less traffic: when a split batch is
  // refused so, the rest of the split is not sent. Without a time it is retried with backoff,
  // as the specification asks for both 429 and 503.
  if (status === 429 && retryAfterMillis !== undefined) return { kind: 'throttled', ...hint }
  return { kind: 'transient', ...hint }
}

/**
 * `Retry-After` in ms: seconds (`120`) or an HTTP date; undefined when absent or unreadable. A
 * date in the past or `0` means now. A wait longer than the export's deadline ends the retries
 * (the retrying exporter never starts a try it cannot finish).
 */
export function parseRetryAfter (value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/** Network errors worth another try: the collector down, restarting, or not resolvable yet. */
const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET'
])
/** Of those, the ones where nothing was reached: the next try costs one connection attempt. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH'
])

/**
 * A request that got no HTTP answer. TLS failures (a certificate nobody trusts, https to a
 * plaintext port) and answers that are not HTTP/1.1 (a gRPC port) are permanent: another try
 * fails the same way.
 */
export function classifyNetworkError (error: unknown): ExportFailure {
  const code = (error as { code?: unknown } | null | undefined)?.code
  if (typeof code !== 'string' || !RETRYABLE_NETWORK_CODES.has(code)) return { kind: 'permanent' }
  return UNREACHABLE_CODES.has(code) ? { kind: 'transient', unreachable: true } : { kind: 'transient' }
}

/**
 * What a user should check, for the errors whose message says little: a plaintext port spoken to
 * over https, an HTTP/2-only (gRPC) port spoken to over HTTP/1.1, a certificate nobody trusts, a
 * client certificate the collector asks for or refuses.
 */
export function networkErrorHint (error: unknown, tls: TlsGiven = {}): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code
  if (typeof code === 'string' && code.startsWith('HPE_')) {
    return 'the endpoint did not answer in HTTP/1.1: is it a gRPC port (4317)? OTLP/HTTP listens on 4318'
  }
  if (
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'
  ) {
    return untrustedCollectorHint(tls)
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return "the collector's certificate is for another host name"
  // The rest is in OpenSSL's words: on TLS 1.2 every alert is EPROTO, a plaintext port's answer too.
  if (typeof code === 'string' && (code === 'EPROTO' || code.startsWith('ERR_SSL_'))) {
    return tlsHintFromText(`${String((error as Error).message)} ${code}`, tls)
  }
  return undefined
}
