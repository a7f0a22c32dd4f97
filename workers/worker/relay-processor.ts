import type { Context, HrTime } from '@opentelemetry/api'
import { createContextKey } from '@opentelemetry/api'
import { hrTime, hrTimeDuration, hrTimeToMilliseconds } from '@opentelemetry/core'
import type { ReadableSpan, Span as SdkSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { RelayedSpan } from '../protocol/relayed-span.js'
import { toRelayed } from './span-encoder.js'

/**
 * Spans made in a task are collected in memory and sent back with the task's reply, so the main
 * thread's pipeline exports them: nothing is lost when Piscina freezes (atomics 'sync') or
 * terminates an idle worker, which a worker-local batch processor could not survive.
 */

/** The task's span collector, found through the context every span of the task is started in. */
export const TASK_RELAY = createContextKey('fastify-otel-kit task relay')

export class TaskRelay {
  readonly spans: RelayedSpan[] = []
  open = true
}

/** Shared by unsampled tasks, which collect nothing. */
export const UNSAMPLED_RELAY = new TaskRelay()

/** Spans that ended after their task had replied, sent with the next reply of this worker. */
export const lateSpans: RelayedSpan[] = []

/** Beyond this, a start time is the user's own choice, not the SDK's rounding: left alone. */
const MAX_REBASE_MILLIS = 2

export class RelayProcessor implements SpanProcessor {
  private readonly relays = new WeakMap<SdkSpan | ReadableSpan, TaskRelay>()
  private readonly preciseStarts = new WeakMap<SdkSpan | ReadableSpan, HrTime>()

  onStart (span: SdkSpan, parentContext: Context): void {
    this.preciseStarts.set(span, hrTime())
    const relay = parentContext.getValue(TASK_RELAY) as TaskRelay | undefined
    if (relay !== undefined) this.relays.set(span, relay)
  }

  onEnd (span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 0) return
    // The SDK stamps starts in whole milliseconds; re-base onto the precise clock shared by all
    // threads. A user-supplied start time (far from the real one) is left alone.
    const preciseStart = this.preciseStarts.get(span)
    const shift = preciseStart === undefined ? undefined : hrTimeDuration(span.startTime, preciseStart)
    const relayed = toRelayed(span, shift !== undefined && Math.abs(hrTimeToMilliseconds(shift)) <= MAX_REBASE_MILLIS ? shift : undefined)
    const relay = this.relays.get(span)
    if (relay !== undefined && relay.open) relay.spans.push(relayed)
    else lateSpans.push(relayed)
  }

  async forceFlush (): Promise<void> {}
  async shutdown (): Promise<void> {}
}
