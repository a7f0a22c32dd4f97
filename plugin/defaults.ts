/** The signals the plugin flushes (and, if nothing else listens, closes the app) on. */
export const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = Object.freeze(['SIGTERM', 'SIGINT'] as NodeJS.Signals[])

/**
 * Query keys whose values are replaced with `REDACTED` in `url.query` and an outbound `url.full`,
 * matched case-insensitively after percent-decoding: the HTTP semantic conventions' pre-signed
 * URL signatures and credentials, plus the keys that carry tokens, API keys, passwords and OAuth
 * secrets and codes (redaction has to protect by default; a key a user never thought of is the
 * one that leaks).
 */
export const DEFAULT_REDACTED_QUERY_KEYS: readonly string[] = Object.freeze([
  'sig',
  'Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'token',
  'access_token',
  'api_key',
  'apikey',
  'password',
  'secret',
  'client_secret',
  'code',
  'id_token',
  'refresh_token'
])
