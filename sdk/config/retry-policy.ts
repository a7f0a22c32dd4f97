/**
 * How failed exports are retried (the OTLP specification: exponential backoff with jitter, within
 * the export deadline), whatever the protocol. The exporters classify their failures
 * (export/failure.ts); the retrying exporter applies this policy to the retryable ones.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number
  initialBackoffMillis: number
  maxBackoffMillis: number
  multiplier: number
  /** Each delay varies by up to this fraction either way, so clients do not retry in lockstep. */
  jitter: number
  /**
   * The longest wait before trying an unreachable collector again (UNAVAILABLE without a server
   * hint): a try costs one connection attempt, and export resumes within this long after the
   * collector is back.
   */
  unreachableRetryMillis: number
}

/** The OTLP/HTTP exporter's policy in OpenTelemetry JS, applied to gRPC. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  initialBackoffMillis: 1000,
  maxBackoffMillis: 5000,
  multiplier: 1.5,
  jitter: 0.2,
  unreachableRetryMillis: 1000
})

/**
 * How long one export keeps retrying a batch the collector cannot take for now (option
 * exporter.retry.budgetMillis; the export's deadline when longer than its exportTimeoutMillis): a
 * collector restart of about 30 s (a rolling deploy) with margin. Measured before: with upstream's
 * 5 attempts, a batch gave up about 10 s into an outage, and a 20 s restart lost 99 % of its spans.
 */
export const DEFAULT_RETRY_BUDGET_MILLIS = 60000

/** No limit on attempts by default: the budget decides (option exporter.retry.maxAttempts). */
export const DEFAULT_MAX_ATTEMPTS = Infinity
