/** The signals the plugin flushes (and, if nothing else listens, closes the app) on. */
export const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = Object.freeze(['SIGTERM', 'SIGINT'] as NodeJS.Signals[])

/**
 * Query keys whose values are replaced with `REDACTED` in `url.query`, as the HTTP semantic
 * conventions ask: pre-signed URL signatures and credentials.
 */
export const DEFAULT_REDACTED_QUERY_KEYS: readonly string[] = Object.freeze([
  'sig',
  'Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  'AWSAccessKeyId',
  'X-Goog-Signature'
])
