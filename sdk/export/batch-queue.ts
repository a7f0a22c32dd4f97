import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import { context } from '../../context/otel-api.js'
import { BatchLease } from './batch-lease.js'
import { EXPORT_CONTEXT } from './export-context.js'
import { failureOf } from './failure.js'
import type {
  BatchLimits,
  BatchProcessorEvents,
  DropReason,
  ExportStats,
  ItemExporter,
  QueueBooks,
  QueueEncoding,
  RetryCounter
} from './queue-contracts.js'
import { AS_GIVEN } from './queue-contracts.js'
import { resourcesPending } from './resources-pending.js'

/**
 * Why an export failed, in a few words for the `error.type` of the health metrics: `timeout`,
 * `shutdown` (given up at the shutdown bound), or the kind of failure the exporter reported
 * (`transient`, `throttled`, `too_large`, `permanent`).
 */
export function failureType (error: unknown): string {
  if (error instanceof Error && (error as { [TIMED_OUT]?: boolean })[TIMED_OUT] === true) return 'timeout'
  if (error instanceof Error && (error as { [ABANDONED]?: boolean })[ABANDONED] === true) return 'shutdown'
  return failureOf(error).kind.replace('-', '_')
}

const TIMED_OUT = Symbol('fastify-otel-kit.export-timed-out')
const ABANDONED = Symbol('fastify-otel-kit.export-abandoned')

/** What became of one batch (or part of one); `stop`: the collector refused it for load, send no more of the split. */
interface Delivery {
  exported: number
  failed: number
  error?: Error
  stop: boolean
}

/** When an export starts: once the current call returns, or a turn of the event loop later. */
type ExportStart = 'soon' | 'next-turn'

/**
 * The batching under both export pipelines (spans: sdk/traces/batch-span-processor.ts; log records:
 * sdk/logs/batch-log-processor.ts), so both get the same guarantees by construction: a bounded
 * queue with drops counted, one export at a time in the root context with tracing suppressed (also
 * during forceFlush), a timed export, a flush that drains what was queued when it started, books
 * that balance, abandon() at the shutdown bound, and batches split when refused for their size.
 * docs/internals/upstream-parts.md says why the SDK's processors are not used.
 *
 * Items carry the resource they are exported with (a span's, a log record's).
 */
export class BatchQueue<I, T extends { readonly resource: Resource } = I & { readonly resource: Resource }> {
  private readonly queue: T[] = []
  /** Each queued item's size in bytes, beside it. */
  private readonly sizes: number[] = []
  /** Bytes of the items waiting, and of those being exported. */
  private queuedBytes = 0
  private inFlightBytes = 0
  private readonly maxQueueBytes: number
  private timer: NodeJS.Timeout | undefined
  private exporting: Promise<void> | undefined
  /** Set when shutdown is called: from then on items are refused (as the SDK's processors do). */
  private closing = false
  /** Set once the shutdown flush is over (or abandoned): no more exports start. */
  protected isShutdown = false
  private shutdownPromise: Promise<void> | undefined
  /** Why the last export that failed did, until one succeeds (with or without the retry wrapper). */
  private lastFailedExport: string | undefined
  private exporterShutdown: Promise<void> | undefined
  private readonly counts = {
    created: 0,
    exported: 0,
    dropped: 0,
    failed: 0,
    submitted: 0,
    droppedQueueFull: 0,
    abandonedInQueue: 0
  }

  /** Failed items by failureType(). */
  private readonly failedByType = new Map<string, number>()
  /** Items handed to the exporter and not yet settled. */
  private inFlight = 0
  /** Sequence numbers: items accepted into the queue, and items settled (exported or failed), in queue order. */
  private accepted = 0
  private settled = 0
  /** Bumped when the shutdown bound abandons what is in flight: those exports no longer count. */
  private generation = 0

  constructor (
    private readonly exporter: ItemExporter<T>,
    private readonly limits: BatchLimits,
    private readonly events: BatchProcessorEvents = {},
    private readonly encoding: QueueEncoding<I, T> = AS_GIVEN as QueueEncoding<I, T>
  ) {
    this.maxQueueBytes = limits.maxQueueBytes ?? Infinity
  }

  /**
   * Takes one item, or drops and counts it when the queue is full: maxQueueSize items waiting, or
   * maxQueueBytes with this one, counting the batch being exported too. Runs once per span or
   * record.
   */
  protected offer (input: I): void {
    this.counts.created++
    // An item that arrives once shutdown has begun would land behind the shutdown flush's target
    // and never be exported: it is refused and counted, so the books still balance at exit.
    if (this.closing || this.queue.length >= this.limits.maxQueueSize) {
      this.drop(this.closing ? 'shutting-down' : 'queue-full')
      return
    }
    let bytes: number
    let item: T
    try {
      bytes = this.encoding.measure(input)
      if (this.queuedBytes + this.inFlightBytes + bytes > this.maxQueueBytes) {
        this.drop('queue-bytes')
        return
      }
      item = this.encoding.commit(input)
    } catch (error) {
      // An item that cannot be encoded (a value whose getter throws) is lost alone, counted as
      // failed at once (submitted and failed, so that the books of QueueBooks still add up).
      this.counts.submitted++
      this.counts.failed++
      this.countFailed('encoding', 1)
      this.events.onExportFailure?.(1, error instanceof Error ? error : new Error(String(error)))
      return
    }
    this.queue.push(item)
    this.sizes.push(bytes)
    this.queuedBytes += bytes
    this.accepted++
    if (this.exporting !== undefined) return
    if (this.queue.length >= this.limits.maxExportBatchSize) {
      this.clearTimer()
      this.startExporting(this.accepted, false)
    } else {
      this.armTimer()
    }
  }

  private drop (reason: DropReason): void {
    this.counts.dropped++
    // A byte bound reached is a full queue too (otel.sdk.processor's error.type queue_full).
    if (reason !== 'shutting-down') this.counts.droppedQueueFull++
    this.events.onDrop?.(this.counts.dropped, reason)
  }

  stats (retries: RetryCounter | undefined): ExportStats {
    return {
      created: this.counts.created,
      queued: this.queue.length + this.inFlight,
      exported: this.counts.exported,
      dropped: this.counts.dropped,
      failed: this.counts.failed,
      retries: retries?.retryCount ?? 0
    }
  }

  books (): QueueBooks {
    const { counts } = this
    return {
      created: counts.created,
      submitted: counts.submitted,
      droppedQueueFull: counts.droppedQueueFull,
      droppedShuttingDown: counts.dropped - counts.droppedQueueFull,
      abandonedInQueue: counts.abandonedInQueue,
      waiting: this.queue.length,
      inFlight: this.inFlight,
      exported: counts.exported,
      failed: new Map(this.failedByType),
      capacity: this.limits.maxQueueSize
    }
  }

  /** Why the last failed export failed, until an export succeeds again. */
  get lastExportFailure (): string | undefined {
    return this.lastFailedExport
  }

  /** Items waiting or being exported. */
  get pending (): number {
    return this.queue.length + this.inFlight
  }

  /** Bytes of the items waiting or being exported, as the encoding measured them. */
  get pendingBytes (): number {
    return this.queuedBytes + this.inFlightBytes
  }

  /**
   * Exports what was queued when the flush started, waiting for an export already under way first;
   * items that arrive during the flush are left to the next batch, so a flush always ends.
   */
  async forceFlush (): Promise<void> {
    const target = this.accepted
    while (this.settled < target) {
      if (this.exporting === undefined) {
        this.clearTimer()
        this.startExporting(target, true)
      }
      await this.exporting
    }
  }

  shutdown (): Promise<void> {
    this.closing = true
    this.shutdownPromise ??= (async () => {
      await this.forceFlush()
      this.isShutdown = true
      this.clearTimer()
      await this.shutdownExporter()
    })()
    return this.shutdownPromise
  }

  /**
   * Gives up on everything not yet exported (the shutdown bound was hit): counted as failed, so
   * the books still balance at exit. Returns how many items were abandoned. The exporter is shut
   * down without waiting: that cancels an export still under way, which would otherwise keep the
   * process alive until its own timeout (an OTLP call to a collector that never answers).
   */
  abandon (): number {
    this.closing = true
    this.isShutdown = true
    this.clearTimer()
    const abandoned = this.queue.length + this.inFlight
    this.counts.failed += abandoned
    this.counts.abandonedInQueue += this.queue.length
    this.countFailed('shutdown', this.inFlight)
    this.queue.length = 0
    this.sizes.length = 0
    this.queuedBytes = 0
    this.inFlight = 0
    this.inFlightBytes = 0
    this.settled = this.accepted
    // Exports still under way settle into the old generation and are not counted twice.
    this.generation++
    this.shutdownExporter().catch(() => {})
    return abandoned
  }

  private countFailed (type: string, count: number): void {
    if (count > 0) this.failedByType.set(type, (this.failedByType.get(type) ?? 0) + count)
  }

  /** Once, whether shutdown or abandon gets there first. */
  private shutdownExporter (): Promise<void> {
    this.exporterShutdown ??= Promise.resolve().then(() => this.exporter.shutdown())
    return this.exporterShutdown
  }

  private startExporting (target: number, flushing: boolean): void {
    this.exporting = this.drain(target, flushing).finally(() => {
      this.exporting = undefined
      if (this.isShutdown || this.queue.length === 0) return
      // Full batches that piled up during this export go at once; a remainder waits for the timer.
      if (this.queue.length >= this.limits.maxExportBatchSize) this.startExporting(this.accepted, false)
      else this.armTimer()
    })
  }

  /**
   * Exports batch after batch, one at a time. On a timer or a full batch (`flushing` false) it
   * stops when less than a full batch is left; on a flush it goes on until the items accepted
   * before `target` have settled.
   */
  private async drain (target: number, flushing: boolean): Promise<void> {
    // The first batch goes out as soon as the call that started this returns; each later one (a
    // backlog, a flush) a turn later, so that I/O waiting meanwhile is served between batches.
    let start: ExportStart = 'soon'
    for (;;) {
      const more = flushing ? this.settled < target : this.queue.length >= this.limits.maxExportBatchSize
      if (!more || this.queue.length === 0) return
      const size = flushing
        ? Math.min(this.limits.maxExportBatchSize, target - this.settled)
        : this.limits.maxExportBatchSize
      const batch = this.queue.splice(0, size)
      let bytes = 0
      for (const b of this.sizes.splice(0, batch.length)) bytes += b
      this.queuedBytes -= bytes
      await this.exportBatch(batch, bytes, start)
      start = 'next-turn'
    }
  }

  private async exportBatch (batch: T[], bytes: number, start: ExportStart): Promise<void> {
    const generation = this.generation
    this.inFlight += batch.length
    this.inFlightBytes += bytes
    this.counts.submitted += batch.length
    const started = performance.now()
    const encoding = this.encoding
    const lease =
      encoding.release === undefined ? undefined : new BatchLease(batch, (items) => encoding.release!(items))
    let outcome: Delivery
    try {
      outcome = await this.deliver(batch, generation, start, lease)
    } finally {
      lease?.letGo()
    }
    if (generation !== this.generation) return
    this.inFlight -= batch.length
    this.inFlightBytes -= bytes
    this.settled += batch.length
    this.counts.exported += outcome.exported
    this.counts.failed += outcome.failed
    const failure = outcome.failed > 0 ? failureType(outcome.error) : undefined
    if (failure !== undefined) this.countFailed(failure, outcome.failed)
    if (outcome.failed > 0) {
      this.lastFailedExport = outcome.error?.message ?? 'no reason given'
      this.events.onExportFailure?.(outcome.failed, outcome.error)
    } else if (outcome.exported > 0) {
      this.lastFailedExport = undefined
    }
    this.events.onExportSettled?.(batch.length, (performance.now() - started) / 1000, failure)
  }

  /**
   * Exports `batch`. A batch refused for its size (by the transport before sending, or by a
   * collector whose message names the size: the exporter classifies it as too large) is split in
   * halves and each half sent, down to single items, so one oversized item never takes the rest of
   * its batch with it. Any other failure fails the batch as it is: a RESOURCE_EXHAUSTED that names
   * no size is a quota or a rate limit, and splitting would send up to 2n-1 requests to a backend
   * that asked for fewer. For the same reason, once a half is refused that way the rest of the split
   * is not sent.
   */
  private async deliver (
    batch: T[],
    generation: number,
    start: ExportStart,
    lease: BatchLease<T> | undefined
  ): Promise<Delivery> {
    const result = await this.exportOnce(batch, generation, start, lease)
    if (result.code === ExportResultCode.SUCCESS) return { exported: batch.length, failed: 0, stop: false }
    const failure = failureOf(result.error)
    if (batch.length > 1 && failure.kind === 'too-large') {
      const half = Math.ceil(batch.length / 2)
      const first = await this.deliver(batch.slice(0, half), generation, 'next-turn', lease)
      // Abandoned at the shutdown bound meanwhile: the exporter is shut, nothing more is sent.
      if (first.stop || generation !== this.generation) {
        return { ...first, failed: first.failed + batch.length - half, stop: true }
      }
      const second = await this.deliver(batch.slice(half), generation, 'next-turn', lease)
      const error = second.error ?? first.error
      return {
        exported: first.exported + second.exported,
        failed: first.failed + second.failed,
        stop: second.stop,
        ...(error === undefined ? {} : { error })
      }
    }
    return {
      exported: 0,
      failed: batch.length,
      stop: failure.kind === 'throttled',
      ...(result.error === undefined ? {} : { error: result.error })
    }
  }

  private async exportOnce (
    batch: T[],
    generation: number,
    start: ExportStart,
    lease: BatchLease<T> | undefined
  ): Promise<ExportResult> {
    try {
      // Resource attributes from async detectors (host.id) must be settled before serialising.
      const pending = resourcesPending(batch)
      if (pending.length > 0) await Promise.all(pending.map((resource) => resource.waitForAsyncAttributes?.()))
      return await this.exportWithTimeout(batch, generation, start, lease)
    } catch (error) {
      return { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }
    }
  }

  private exportWithTimeout (
    batch: T[],
    generation: number,
    start: ExportStart,
    lease: BatchLease<T> | undefined
  ): Promise<ExportResult> {
    return new Promise((resolve) => {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        resolve({
          code: ExportResultCode.FAILED,
          error: Object.assign(new Error(`export timed out after ${this.limits.exportTimeoutMillis} ms`), {
            [TIMED_OUT]: true
          })
        })
      }, this.limits.exportTimeoutMillis)
      timer.unref()
      const done = (result: ExportResult): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(result)
      }
      // A batch fills up inside someone's span.end() or log call: the exporter (which serialises
      // the whole batch, and for log lines parses them) runs once that call has returned, not
      // inside it. The batch has left the queue already, so the books and the queue bound are the
      // same. 'soon' is process.nextTick, not a turn later: on a saturated event loop a turn takes
      // a few milliseconds (every ready connection is served first), and one turn less per export
      // is what let OTLP/gRPC keep up at -c 50 (docs/internals/performance.md, "Export latency").
      const schedule = start === 'soon' ? process.nextTick : setImmediate
      // The exporter's hold on the items starts now, not when it is called: the timer may give up
      // on the export before the call below is made, and the call still reads the items. It ends
      // with the exporter's own call back, not the timer's.
      const exporterDone = lease === undefined ? done : lease.heldUntil(done)
      schedule(() => {
        // Given up on by the timer before its turn came (an event loop blocked for longer than the
        // timeout): the batch is counted as failed already, and sending it now could deliver it
        // twice (a retry sends it again). The call is not made; the hold ends here.
        if (settled) {
          exporterDone({ code: ExportResultCode.FAILED })
          return
        }
        // Abandoned at the shutdown bound meanwhile (the exporter is being shut down): a call
        // started now would outlive the bound. The batch is counted as failed by abandon().
        if (generation !== this.generation) {
          exporterDone({
            code: ExportResultCode.FAILED,
            error: Object.assign(new Error('abandoned at the shutdown bound'), { [ABANDONED]: true })
          })
          return
        }
        // The exporter's own work (and any instrumented client under it) must never be traced.
        context.with(EXPORT_CONTEXT, () => {
          try {
            this.exporter.export(batch, exporterDone)
          } catch (error) {
            // An exporter that throws instead of reporting must not take the pipeline down. It
            // keeps its hold on the items (it may have kept them): their memory is not used again.
            done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) })
          }
        })
      })
    })
  }

  private armTimer (): void {
    if (this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.exporting === undefined && this.queue.length > 0) this.startExporting(this.accepted, true)
    }, this.limits.scheduledDelayMillis)
    // A pending batch must not keep an otherwise finished process alive: the flush on close, on
    // signals and at beforeExit covers the end of the process.
    this.timer.unref()
  }

  private clearTimer (): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }
}
