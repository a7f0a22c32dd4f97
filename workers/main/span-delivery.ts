import { diag } from '../../context/otel-api.js'
import type { SpanSink } from '../../sdk/spans/span-sink.js'
import type { TaskReply } from '../protocol/messages.js'
import { fromRelayed, type TimeWindow } from './span-decoder.js'

let warnedNoSink = false

/**
 * Feeds the spans a reply brought home into the main pipeline. Late spans (ended after their own
 * task replied) belong to other dispatches and keep their own times.
 */
export function deliverSpans (reply: TaskReply, window: TimeWindow, sink: SpanSink | undefined): void {
  const [, , , threadId, spans, lateSpans] = reply
  if (spans === 0 && lateSpans === 0) return
  if (sink === undefined) {
    if (!warnedNoSink) diag.warn('fastify-otel-kit: spans came back from a worker but no tracing pipeline is registered here; they are dropped')
    warnedNoSink = true
    return
  }
  if (spans !== 0) for (const relayed of spans) sink.processor.onEnd(fromRelayed(relayed, sink.resource, window, threadId))
  if (lateSpans !== 0) {
    const unplaced: TimeWindow = { shift: window.shift, notBefore: undefined, notAfter: undefined }
    for (const relayed of lateSpans) sink.processor.onEnd(fromRelayed(relayed, sink.resource, unplaced, threadId))
  }
}
