import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { ItemExporter, RetryCounter } from './batch-queue.js'
import { context } from '../../context/otel-api.js'
import { EXPORT_CONTEXT } from './export-context.js'
import { GrpcCode, retryDecision } from './grpc-status.js'

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

export interface RetryBudget {
  /** The batch processor's deadline for the whole export, retries included. */
  exportTimeoutMillis: number
  /** The longest one attempt may take (the exporter's own timeout). */
  attemptTimeoutMillis: number
}

/**
 * Retries transient OTLP/gRPC failures (the JS gRPC exporter does not) with exponential backoff and
 * jitter. A retry is only started if it can finish within the export's deadline, so the batch
 * processor never sees an export outlive its timeout and two exports never overlap. Non-retryable
 * failures and partial successes (reported as success) are returned at once. The same for spans
 * and log records.
 */
export class RetryingExporter<T> implements ItemExporter<T>, RetryCounter {
  private retries = 0
  private readonly pending = new Set<{ timer: NodeJS.Timeout, finish: () => void }>()
  private stopped = false

  constructor (
    private readonly inner: ItemExporter<T>,
    private readonly policy: RetryPolicy,
    private readonly budget: RetryBudget,
    private readonly random: () => number = Math.random
  ) {}

  get retryCount (): number {
    return this.retries
  }

  export (items: T[], done: (result: ExportResult) => void): void {
    const started = performance.now()
    const attempt = (number: number): void => {
      this.inner.export(items, (result) => {
        if (result.code === ExportResultCode.SUCCESS || this.stopped) return done(result)
        const decision = retryDecision(result.error)
        if (!decision.retry || number >= this.policy.maxAttempts) return done(result)
        const delay = decision.delayMillis ?? (isUnreachable(result.error) ? Math.min(this.backoff(number), this.policy.unreachableRetryMillis) : this.backoff(number))
        const elapsed = performance.now() - started
        if (elapsed + delay + this.budget.attemptTimeoutMillis > this.budget.exportTimeoutMillis) return done(result)
        this.retries++
        const entry = {
          // Timers keep the context of whatever scheduled them (here a gRPC callback): each retry
          // runs in the export context explicitly.
          timer: setTimeout(() => { this.pending.delete(entry); context.with(EXPORT_CONTEXT, () => attempt(number + 1)) }, delay),
          finish: () => done(result)
        }
        // A pending retry must not keep a finished process alive; shutdown settles it.
        entry.timer.unref()
        this.pending.add(entry)
      })
    }
    attempt(1)
  }

  /** Delay before attempt `number + 1`: initial x multiplier^(number-1), capped, with jitter. */
  private backoff (number: number): number {
    const base = Math.min(this.policy.initialBackoffMillis * this.policy.multiplier ** (number - 1), this.policy.maxBackoffMillis)
    return Math.max(0, base * (1 + this.policy.jitter * (2 * this.random() - 1)))
  }

  async forceFlush (): Promise<void> {
    await this.inner.forceFlush?.()
  }

  /** Settles waiting retries with their last failure, then shuts the real exporter down. */
  async shutdown (): Promise<void> {
    this.stopped = true
    for (const entry of this.pending) {
      clearTimeout(entry.timer)
      entry.finish()
    }
    this.pending.clear()
    await this.inner.shutdown()
  }
}

/** The collector could not be reached (or dropped the connection): nothing was processed. */
function isUnreachable (error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === GrpcCode.UNAVAILABLE
}
