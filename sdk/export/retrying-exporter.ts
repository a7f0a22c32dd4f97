import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { RetryPolicy } from '../config/retry-policy.js'
import type { ItemExporter, RetryCounter, RetryObserver } from './queue-contracts.js'
import { context } from '../../context/otel-api.js'
import { EXPORT_CONTEXT } from './export-context.js'
import { failureOf } from './failure.js'

export interface RetryBudget {
  /** The batch processor's deadline for the whole export, retries included. */
  exportTimeoutMillis: number
  /** The longest one attempt may take (the exporter's own timeout). */
  attemptTimeoutMillis: number
}

/**
 * Retries transient failures, as the exporter under it classified them (the JS gRPC exporter does
 * not retry at all), with exponential backoff and jitter. A retry is only started if it can finish
 * within the export's deadline, so the batch processor never sees an export outlive its timeout and
 * two exports never overlap. Non-retryable failures and partial successes (reported as success)
 * are returned at once. The same for spans and log records.
 */
export class RetryingExporter<T> implements ItemExporter<T>, RetryCounter {
  private retries = 0
  private failure: string | undefined
  private observer: RetryObserver | undefined
  /** When the current run of failures began (a retry was scheduled since the last success). */
  private failingSince: number | undefined
  /** A batch gave up during the current run of failures. */
  private gaveUp = false
  private readonly pending = new Set<{ timer: NodeJS.Timeout; finish: () => void }>()
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

  get lastFailure (): string | undefined {
    return this.failure
  }

  observe (observer: RetryObserver): void {
    this.observer = observer
  }

  export (items: T[], done: (result: ExportResult) => void): void {
    const started = performance.now()
    const attempt = (number: number): void => {
      // An attempt under way is what is pending now, not the failure before it.
      this.failure = undefined
      this.inner.export(items, (result) => {
        if (result.code === ExportResultCode.SUCCESS) {
          this.failure = undefined
          this.recovered()
          return done(result)
        }
        const reason = result.error?.message ?? 'no reason given'
        this.failure = reason
        if (this.stopped) return done(result)
        const failure = failureOf(result.error)
        // Transient failures are retried; a throttled export only when the collector said when.
        const retryable =
          failure.kind === 'transient' || (failure.kind === 'throttled' && failure.retryAfterMillis !== undefined)
        if (!retryable || number >= this.policy.maxAttempts) return this.giveUp(done, result)
        const backoff = this.backoff(number)
        const delay =
          failure.retryAfterMillis ??
          (failure.unreachable === true ? Math.min(backoff, this.policy.unreachableRetryMillis) : backoff)
        const elapsed = performance.now() - started
        if (elapsed + delay + this.budget.attemptTimeoutMillis > this.budget.exportTimeoutMillis) {
          // The collector's own wait is what does not fit (there was room for an attempt without
          // it): the failure's message says so, or "HTTP 429 ... lost" reads as if throttling were
          // never retried.
          const roomWithoutWait = elapsed + this.budget.attemptTimeoutMillis <= this.budget.exportTimeoutMillis
          if (failure.retryAfterMillis !== undefined && roomWithoutWait && result.error !== undefined) {
            result.error.message +=
              ` (the collector asked to retry after ${Math.round(failure.retryAfterMillis / 1000)} s, more than ` +
              `is left of this export's ${Math.round(this.budget.exportTimeoutMillis / 1000)} s: ` +
              'exporter.retry.budgetMillis)'
          }
          return this.giveUp(done, result)
        }
        this.retrying(reason)
        this.retries++
        const entry = {
          // Timers keep the context of whatever scheduled them (a transport's callback): each retry
          // runs in the export context explicitly.
          timer: setTimeout(() => {
            this.pending.delete(entry)
            context.with(EXPORT_CONTEXT, () => attempt(number + 1))
          }, delay),
          finish: () => done(result)
        }
        // A pending retry must not keep a finished process alive; shutdown settles it.
        entry.timer.unref()
        this.pending.add(entry)
      })
    }
    attempt(1)
  }

  /** The first retry of a run of failures is told (the run ends with a success). */
  private retrying (reason: string): void {
    if (this.failingSince !== undefined) return
    this.failingSince = performance.now()
    this.observer?.onRetrying(reason, this.budget.exportTimeoutMillis)
  }

  /** A batch's failure is final: it ends here, and the run of failures says so when it ends. */
  private giveUp (done: (result: ExportResult) => void, result: ExportResult): void {
    if (this.failingSince !== undefined) this.gaveUp = true
    done(result)
  }

  /** A success ends a run of failures. */
  private recovered (): void {
    if (this.failingSince === undefined) return
    const millis = performance.now() - this.failingSince
    const gaveUp = this.gaveUp
    this.failingSince = undefined
    this.gaveUp = false
    this.observer?.onRecovered(millis, gaveUp)
  }

  /** Delay before attempt `number + 1`: initial x multiplier^(number-1), capped, with jitter. */
  private backoff (number: number): number {
    const base = Math.min(
      this.policy.initialBackoffMillis * this.policy.multiplier ** (number - 1),
      this.policy.maxBackoffMillis
    )
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
