import { type Span, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api'
import { hrTime } from '@opentelemetry/core'
import { createRequire } from 'node:module'
import { isMainThread, threadId } from 'node:worker_threads'
import { contextFromCarrier } from '../../context/carrier.js'
import { errorType } from '../../context/error-type.js'
import { context, trace } from '../../context/otel-api.js'
import { isValidSpanContext } from '../../context/w3c-trace-context.js'
import { startFastSpan } from '../../sdk/spans/span-factory.js'
import {
  envelopeCarrier, envelopeLabel, envelopeTask, isTransferableWrapper, PISCINA_TRANSFERABLE, PISCINA_VALUE, REPLY_MARK,
  type TaskEnvelope, type TaskReply
} from '../protocol/messages.js'
import { lateSpans, TASK_RELAY, TaskRelay, UNSAMPLED_RELAY } from './relay-processor.js'
import { ensureWorkerTracing } from './worker-tracing.js'

/**
 * Runs `fn(task)` with the caller's context restored (scoped: undone when the task ends, even on
 * throw), inside a task span that is a child of the dispatch span, and returns the reply with the
 * task's spans. A throw becomes a failed reply carrying the error, so its spans still travel.
 */
export function runTracedTask (envelope: TaskEnvelope, fn: (task: unknown) => unknown): unknown {
  const task = envelopeTask(envelope)
  if (isMainThread) {
    // Called on the main thread (tests, no pool): the main pipeline sees the spans directly.
    return context.with(contextFromCarrier(envelopeCarrier(envelope)), () => fn(task))
  }
  const { tracer, taskSpans } = ensureWorkerTracing()
  const parent = contextFromCarrier(envelopeCarrier(envelope))
  const parentSpan = trace.getSpanContext(parent)
  // Only a sampled caller gets a task span and span collection: for an unsampled one nothing
  // would be recorded, and the restored context is all the task needs.
  const sampled = isValidSpanContext(parentSpan) && (parentSpan.traceFlags & TraceFlags.SAMPLED) !== 0
  const relay = sampled ? new TaskRelay() : UNSAMPLED_RELAY
  let taskContext = sampled ? parent.setValue(TASK_RELAY, relay) : parent
  let span: Span | undefined
  if (sampled) {
    const label = envelopeLabel(envelope)
    const name = `worker.task ${label}`
    const attributes = { 'worker.task.name': label }
    span = taskSpans !== undefined
      ? startFastSpan(taskSpans, name, SpanKind.INTERNAL, attributes, taskContext, hrTime())
      : tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: hrTime(), attributes }, taskContext)
  }
  if (span !== undefined) taskContext = trace.setSpan(taskContext, span)

  let result: unknown
  try {
    result = context.with(taskContext, () => fn(task))
  } catch (error) {
    return failed(error, span, relay)
  }
  // A synchronous task replies synchronously: no promise, no extra turn.
  if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<unknown>).then !== 'function') {
    return succeeded(result, span, relay)
  }
  return (result as PromiseLike<unknown>).then((value) => succeeded(value, span, relay), (error: unknown) => failed(error, span, relay))
}

function succeeded (value: unknown, span: Span | undefined, relay: TaskRelay): unknown {
  let result = value
  let transferList: unknown[] = []
  if (isTransferableWrapper(result)) {
    transferList = ([] as unknown[]).concat(result[PISCINA_TRANSFERABLE])
    result = result[PISCINA_VALUE]
  }
  span?.setStatus({ code: SpanStatusCode.OK })
  span?.end(hrTime())
  const reply = finish([REPLY_MARK, 1, result, threadId, 0, 0], relay)
  return transferList.length > 0 ? movable(reply, transferList) : reply
}

function failed (error: unknown, span: Span | undefined, relay: TaskRelay): TaskReply {
  if (span !== undefined) {
    span.recordException(error instanceof Error ? error : String(error))
    span.setAttribute('error.type', errorType(error))
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
    span.end(hrTime())
  }
  return finish([REPLY_MARK, 0, error, threadId, 0, 0], relay)
}

/** Closes the task's collection and attaches its spans (and any late ones) to the reply. */
function finish (reply: TaskReply, relay: TaskRelay): TaskReply {
  if (relay !== UNSAMPLED_RELAY) relay.open = false
  if (relay.spans.length > 0) reply[4] = relay.spans
  if (lateSpans.length > 0) reply[5] = lateSpans.splice(0)
  return reply
}

/** The reply as a Piscina movable, so what the task asked to transfer is still transferred. */
function movable (reply: TaskReply, transferList: unknown[]): unknown {
  const piscina = createRequire(__filename)('piscina') as { move: (value: unknown) => unknown }
  return piscina.move({ [PISCINA_TRANSFERABLE]: transferList, [PISCINA_VALUE]: reply })
}
