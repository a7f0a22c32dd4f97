import {
  type Context, context, createContextKey, diag, propagation, SpanKind, SpanStatusCode,
  trace, TraceFlags, type Tracer
} from '@opentelemetry/api'
import { W3CBaggagePropagator } from '@opentelemetry/core'
import { emptyResource } from '@opentelemetry/resources'
import type { Span } from '@opentelemetry/api'
import {
  AlwaysOffSampler, BasicTracerProvider, ParentBasedSampler, type ReadableSpan, type Span as SdkSpan, type SpanProcessor
} from '@opentelemetry/sdk-trace-base'
import { createRequire } from 'node:module'
import { isMainThread, threadId } from 'node:worker_threads'
import { contextFromCarrier } from '../context/carrier.js'
import { PriorityCompositePropagator } from '../context/composite-propagator.js'
import { ensureContextManager } from '../context/context-manager.js'
import { errorType } from '../context/error-type.js'
import { isValidSpanContext, W3CTraceContextPropagator } from '../context/w3c-trace-context.js'
import { type SpanFactory, spanFactoryFor, startRequestSpanFast } from '../plugin/request-span-impl.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../plugin/version.js'
import { hrToMillis, preciseNow } from './clock.js'
import {
  envelopeCarrier, envelopeLabel, envelopeTask, isTransferableWrapper, PISCINA_TRANSFERABLE, PISCINA_VALUE, REPLY_MARK,
  type TaskEnvelope, type TaskReply
} from './messages.js'
import { type RelayedSpan, toRelayed } from './relay-format.js'

/**
 * Runs inside worker threads (no Fastify here). Spans made in a task are collected in memory and
 * sent back with the task's reply, so they are exported by the main thread's pipeline: nothing is
 * lost when Piscina freezes (atomics 'sync') or terminates an idle worker, which a worker-local
 * batch processor could not survive.
 */

/** The task's span collector, found through the context every span of the task is started in. */
const TASK_RELAY = createContextKey('fastify-otel-kit task relay')

class TaskRelay {
  readonly spans: RelayedSpan[] = []
  open = true
}

/** Shared by unsampled tasks, which collect nothing. */
const UNSAMPLED_RELAY = new TaskRelay()

/** Spans that ended after their task had replied, sent with the next reply of this worker. */
const lateSpans: RelayedSpan[] = []

class RelayProcessor implements SpanProcessor {
  private readonly relays = new WeakMap<SdkSpan | ReadableSpan, TaskRelay>()
  private readonly preciseStarts = new WeakMap<SdkSpan | ReadableSpan, number>()

  onStart (span: SdkSpan, parentContext: Context): void {
    this.preciseStarts.set(span, preciseNow())
    const relay = parentContext.getValue(TASK_RELAY) as TaskRelay | undefined
    if (relay !== undefined) this.relays.set(span, relay)
  }

  onEnd (span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 0) return
    // The SDK stamps starts in whole milliseconds; re-base onto the precise clock shared by all
    // threads. A user-supplied start time (far from the real one) is left alone.
    const preciseStart = this.preciseStarts.get(span)
    const shift = preciseStart === undefined ? 0 : preciseStart - hrToMillis(span.startTime)
    const relayed = toRelayed(span, Math.abs(shift) <= 2 ? shift : 0)
    const relay = this.relays.get(span)
    if (relay !== undefined && relay.open) relay.spans.push(relayed)
    else lateSpans.push(relayed)
  }

  async forceFlush (): Promise<void> {}
  async shutdown (): Promise<void> {}
}

let workerTracer: Tracer | undefined
/** Builds the task span without the SDK's Tracer (see plugin/request-span-impl.ts). */
let taskSpans: SpanFactory | undefined

/**
 * Once per thread: a context manager, a tracer provider that relays spans home, and W3C
 * propagation for code in the worker. Root spans are not recorded: a trace belongs to the caller,
 * and a task dispatched outside any trace runs untraced.
 */
function ensureWorkerTracing (): Tracer {
  if (workerTracer !== undefined) return workerTracer
  ensureContextManager()
  const sampler = new ParentBasedSampler({ root: new AlwaysOffSampler() })
  const relayProcessor = new RelayProcessor()
  const provider = new BasicTracerProvider({ sampler, spanProcessors: [relayProcessor] })
  if (!trace.setGlobalTracerProvider(provider)) {
    diag.warn('fastify-otel-kit: a tracer provider is already registered in this worker; only the task span is relayed to the main thread')
  }
  propagation.setGlobalPropagator(new PriorityCompositePropagator([new W3CTraceContextPropagator(), new W3CBaggagePropagator()]))
  workerTracer = provider.getTracer(PACKAGE_NAME, PACKAGE_VERSION)
  taskSpans = spanFactoryFor(workerTracer, sampler, relayProcessor, emptyResource(), { name: PACKAGE_NAME, version: PACKAGE_VERSION })
  return workerTracer
}

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
  const tracer = ensureWorkerTracing()
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
      ? startRequestSpanFast(taskSpans, name, SpanKind.INTERNAL, attributes, taskContext, preciseNow())
      : tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: preciseNow(), attributes }, taskContext)
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
  span?.end(preciseNow())
  const reply = finish([REPLY_MARK, 1, result, threadId, 0, 0], relay)
  return transferList.length > 0 ? movable(reply, transferList) : reply
}

function failed (error: unknown, span: Span | undefined, relay: TaskRelay): TaskReply {
  if (span !== undefined) {
    span.recordException(error instanceof Error ? error : String(error))
    span.setAttribute('error.type', errorType(error))
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
    span.end(preciseNow())
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
