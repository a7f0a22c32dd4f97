import { LinkedContext } from '../../context/linked-context.js'
import { diag, trace } from '../../context/otel-api.js'
import { FastSpan } from '../../sdk/traces/fast-span.js'
import type { SpanSink } from '../../sdk/traces/span-sink.js'
import type { SpanTarget } from '../../sdk/traces/span-target.js'
import { Reply, REPLY_SPANS_AT, type TaskReply } from '../protocol/messages.js'
import { SpanDecoder, type TimeWindow } from './span-decoder.js'

let warnedNoSink = false

/**
 * The worker applied the limits already: replayed spans are not limited again, unless the
 * pipeline they join has limits of its own (the plugin's).
 */
const UNLIMITED: SpanTarget['limits'] = {
  attributeCountLimit: Infinity,
  eventCountLimit: Infinity,
  linkCountLimit: Infinity,
  attributePerEventCountLimit: Infinity,
  attributePerLinkCountLimit: Infinity,
  attributeValueLengthLimit: Infinity
}

/**
 * Feeds the spans a reply brought home into the main pipeline, each replayed with the SDK's call
 * sequence, so every span processor (the application's too) sees it start and end. Late spans
 * (ended after their own task replied) belong to other dispatches and keep their own times.
 * Returns where the spans end in the reply: the task's log records follow.
 */
export function deliverSpans (
  reply: TaskReply,
  traceId: string,
  window: TimeWindow,
  sink: SpanSink | undefined
): number {
  const taskSpans = reply[Reply.TaskSpans]
  const lateSpans = reply[Reply.LateSpans]
  if (taskSpans === 0 && lateSpans === 0) return REPLY_SPANS_AT
  const decoder = new SpanDecoder(reply, REPLY_SPANS_AT, reply[Reply.ThreadId], traceId)
  const unplaced: TimeWindow = { shift: window.shift, notBefore: undefined, notAfter: undefined }
  if (sink === undefined) {
    if (!warnedNoSink) {
      diag.warn(
        'fastify-otel-kit: spans came back from a worker but no tracing pipeline is registered here; they are dropped'
      )
    }
    warnedNoSink = true
    // Read past them all the same: the log records come after them.
    for (let i = 0; i < taskSpans + lateSpans; i++) decoder.next(unplaced)
    return decoder.position
  }
  const limits = sink.limits ?? UNLIMITED
  for (let i = 0; i < taskSpans + lateSpans; i++) {
    const { record, scope } = decoder.next(i < taskSpans ? window : unplaced)
    const parentContext =
      record.parentSpanContext === undefined
        ? LinkedContext.ROOT
        : trace.setSpanContext(LinkedContext.ROOT, record.parentSpanContext)
    FastSpan.replay({ processor: sink.processor, resource: sink.resource, limits, scope }, record, parentContext)
  }
  return decoder.position
}
