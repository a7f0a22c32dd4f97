import { type Span, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api'
import { hrTime } from '@opentelemetry/core'
import { createRequire } from 'node:module'
import { isMainThread, threadId } from 'node:worker_threads'
import { recordFailure } from '../../context/record-failure.js'
import { context, trace } from '../../context/otel-api.js'
import {
  Envelope,
  isTransferableWrapper,
  PISCINA_TRANSFERABLE,
  PISCINA_VALUE,
  Reply,
  replyHeader,
  type TaskEnvelope,
  type TaskReply
} from '../protocol/messages.js'
import { envelopeContext } from './envelope-context.js'
import { spansSent } from './held-spans.js'
import { clearLateRecords, lateRecords } from './log-relay.js'
import { clearLateSpans, lateSpans, TASK_RELAY, TaskRelay } from './relay-processor.js'
import { ensureWorkerTracing } from './worker-tracing.js'

export type TaskFunction = (task: unknown) => unknown

/**
 * Runs `fn(task)` with the caller's context restored (scoped: undone when the task ends, even on
 * throw). A sampled caller also gets a task span (a child of the dispatch span) and the task's
 * spans back in a reply; a throw then becomes a failed reply carrying the thrown value, so its
 * spans still travel. An unsampled caller's task records nothing: its result or throw goes back
 * untouched, exactly as with a plain `pool.run`.
 */
export function runTracedTask (envelope: TaskEnvelope, fn: TaskFunction, label: string): unknown {
  const task = envelope[Envelope.Task]
  if (isMainThread) {
    // Called on the main thread (tests, no pool): the main pipeline sees the spans directly.
    return context.with(envelopeContext(envelope), fn, undefined, task)
  }
  // Before the context is rebuilt: this also registers the context manager in a new thread.
  const { taskSpans } = ensureWorkerTracing()
  const parent = envelopeContext(envelope)
  if ((envelope[Envelope.TraceFlags] & TraceFlags.SAMPLED) === 0 || envelope[Envelope.TraceId] === '') {
    return context.with(parent, fn, undefined, task)
  }

  const relay = new TaskRelay(replyHeader(threadId), envelope[Envelope.TraceId])
  const spanName =
    envelope[Envelope.SpanName] !== undefined && envelope[Envelope.SpanName] !== ''
      ? envelope[Envelope.SpanName]
      : label
  const name = `worker.task ${spanName}`
  const attributes = { 'worker.task.name': spanName }
  const withRelay = parent.setValue(TASK_RELAY, relay)
  const span = taskSpans.start(name, SpanKind.INTERNAL, attributes, withRelay, hrTime())
  const taskContext = trace.setSpan(withRelay, span)

  let result: unknown
  try {
    result = context.with(taskContext, fn, undefined, task)
  } catch (error) {
    return failed(error, span, relay)
  }
  // A synchronous task replies synchronously: no promise, no extra turn.
  if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<unknown>).then !== 'function') {
    return succeeded(result, span, relay)
  }
  return (result as PromiseLike<unknown>).then(
    (value) => succeeded(value, span, relay),
    (error: unknown) => failed(error, span, relay)
  )
}

function succeeded (value: unknown, span: Span, relay: TaskRelay): unknown {
  let result = value
  let transferList: unknown[] | undefined
  if (isTransferableWrapper(result)) {
    transferList = ([] as unknown[]).concat(result[PISCINA_TRANSFERABLE])
    result = result[PISCINA_VALUE]
  }
  span.setStatus({ code: SpanStatusCode.OK })
  span.end(hrTime())
  const reply = finish(relay, 1, result)
  return transferList !== undefined && transferList.length > 0 ? movable(reply, transferList) : reply
}

function failed (error: unknown, span: Span, relay: TaskRelay): TaskReply {
  recordFailure(span, error)
  span.end(hrTime())
  return finish(relay, 0, error)
}

/**
 * Closes the task's collection; its spans are in the reply already, late ones are added, then the
 * log records (the task's and late ones, protocol/relayed-logs.ts), if any.
 */
function finish (relay: TaskRelay, ok: 0 | 1, value: unknown): TaskReply {
  relay.open = false
  const reply = relay.fields as TaskReply
  reply[Reply.Ok] = ok
  reply[Reply.Value] = value
  reply[Reply.TaskSpans] = relay.count
  const late = lateSpans.count
  if (late > 0) {
    reply[Reply.LateSpans] = late
    for (const field of lateSpans.fields) reply.push(field)
    clearLateSpans()
  }
  spansSent(relay.count + late)
  const records = (relay.records?.count ?? 0) + lateRecords.count
  if (records > 0) {
    reply.push(records)
    if (relay.records !== undefined) for (const field of relay.records.fields) reply.push(field)
    for (const field of lateRecords.fields) reply.push(field)
    clearLateRecords()
  }
  // The reply leaves with the return; contexts that timers of the task still hold keep the relay.
  relay.fields = []
  relay.records = undefined
  return reply
}

/** The reply as a Piscina movable, so what the task asked to transfer is still transferred. */
function movable (reply: TaskReply, transferList: unknown[]): unknown {
  const piscina = createRequire(__filename)('piscina') as { move: (value: unknown) => unknown }
  return piscina.move({ [PISCINA_TRANSFERABLE]: transferList, [PISCINA_VALUE]: reply })
}
