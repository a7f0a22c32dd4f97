import type { Context, HrTime } from '@opentelemetry/api'
import { createContextKey } from '@opentelemetry/api'
import { hrTime, hrTimeDuration, hrTimeToMilliseconds } from '@opentelemetry/core'
import type { ReadableSpan, Span as SdkSpan, SpanProcessor } from '@opentelemetry/sdk-trace'
import type { RecordBatch } from '../protocol/relayed-logs.js'
import type { SpanBatch } from '../protocol/relayed-spans.js'
import { spanHeld } from './held-spans.js'
import { encodeSpan } from './span-encoder.js'

/**
 * Spans made in a task are collected in memory and sent back with the task's reply, so the main
 * thread's pipeline exports them: nothing is lost when Piscina freezes (atomics 'sync') or
 * terminates an idle worker, which a worker-local batch processor could not survive.
 */

/** The task's span collector, found through the context every span of the task is started in. */
export const TASK_RELAY = createContextKey('fastify-otel-kit task relay')

/** A task's spans, written straight into its reply (the reply's header comes first). */
export class TaskRelay implements SpanBatch {
  count = 0
  lastScope: object | undefined = undefined
  open = true
  /** The task's log records (log-relay.ts), made on the first one: they follow the spans in the reply. */
  records: RecordBatch | undefined = undefined
  /** `lastTraceId`: the dispatch span's, which the main side knows (relayed-spans.ts). */
  /** `fields` is the reply in the making; finish() lets go of it, since late spans never write here. */
  constructor (
    public fields: unknown[],
    public lastTraceId: string
  ) {}
}

/**
 * Spans that ended after their task had replied. They wait, batched, for this worker's next
 * reply that carries spans; should the worker stop first, the held-spans count reports them.
 * A timer left running by a task, in a worker whose callers are rarely sampled, could grow this
 * without end: past MAX_LATE_SPANS a late span is not kept. It stays in the held-spans count, so
 * it is reported as lost when the worker stops, as any span that never came home.
 */
export const MAX_LATE_SPANS = 2048
export const lateSpans: SpanBatch = { fields: [], count: 0, lastTraceId: '', lastScope: undefined }

export function clearLateSpans (): void {
  lateSpans.fields.length = 0
  lateSpans.count = 0
  lateSpans.lastTraceId = ''
  lateSpans.lastScope = undefined
}

/** Beyond this, a start time is the user's own choice, not the SDK's rounding: left alone. */
const MAX_REBASE_MILLIS = 2

// Kept on the span itself: cheaper than a WeakMap lookup per span, and gone with the span.
const RELAY = Symbol('fastify-otel-kit.relay')
const PRECISE_START = Symbol('fastify-otel-kit.precise-start')
type Relayable = { [RELAY]?: TaskRelay; [PRECISE_START]?: HrTime }

export class RelayProcessor implements SpanProcessor {
  onStart (span: SdkSpan, parentContext: Context): void {
    if ((span.spanContext().traceFlags & 1) === 0) return
    const marked = span as unknown as Relayable
    // The SDK's own starts are whole milliseconds; a start with finer nanoseconds was given
    // precisely (the task span) and needs no re-basing.
    if (span.startTime[1] % 1_000_000 === 0) marked[PRECISE_START] = hrTime()
    marked[RELAY] = parentContext.getValue(TASK_RELAY) as TaskRelay | undefined
    spanHeld()
  }

  onEnd (span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 0) return
    const marked = span as unknown as Relayable
    // The SDK stamps starts in whole milliseconds; re-base onto the precise clock shared by all
    // threads. A user-supplied start time (far from the real one) is left alone.
    const preciseStart = marked[PRECISE_START]
    const shift = preciseStart === undefined ? undefined : hrTimeDuration(span.startTime, preciseStart)
    const relay = marked[RELAY]
    const batch = relay !== undefined && relay.open ? relay : lateSpans
    if (batch === lateSpans && lateSpans.count >= MAX_LATE_SPANS) return
    encodeSpan(
      batch,
      span,
      shift !== undefined && Math.abs(hrTimeToMilliseconds(shift)) <= MAX_REBASE_MILLIS ? shift : undefined
    )
  }

  async forceFlush (): Promise<void> {}
  async shutdown (): Promise<void> {}
}
