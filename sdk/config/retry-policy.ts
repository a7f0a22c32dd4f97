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
 * How long a batch the collector cannot take for now is exported again (option
 * exporter.retry.budgetMillis): a collector restart of about 30 s (a rolling deploy) with margin.
 */
export const DEFAULT_RETRY_BUDGET_MILLIS = 60000
