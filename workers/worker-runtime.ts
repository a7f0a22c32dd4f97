import {
  type Context, context, createContextKey, diag, isSpanContextValid, propagation, SpanKind, SpanStatusCode,
  trace, type Tracer
} from '@opentelemetry/api'
import { W3CBaggagePropagator } from '@opentelemetry/core'
import {
  AlwaysOffSampler, BasicTracerProvider, ParentBasedSampler, type ReadableSpan, type Span, type SpanProcessor
} from '@opentelemetry/sdk-trace-base'
import { createRequire } from 'node:module'
import { isMainThread, threadId } from 'node:worker_threads'
import { contextFromCarrier } from '../context/carrier.js'
import { PriorityCompositePropagator } from '../context/composite-propagator.js'
import { ensureContextManager } from '../context/context-manager.js'
import { errorType } from '../context/error-type.js'
import { W3CTraceContextPropagator } from '../context/w3c-trace-context.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../plugin/version.js'
import { hrToMillis, preciseNow } from './clock.js'
import {
  isTransferableWrapper, PISCINA_TRANSFERABLE, PISCINA_VALUE, PROTOCOL_VERSION, REPLY_KEY, type TaskEnvelope, type TaskReply
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

/** Spans that ended after their task had replied, sent with the next reply of this worker. */
const lateSpans: RelayedSpan[] = []
const THREAD_ATTRIBUTES = { 'thread.id': threadId }

class RelayProcessor implements SpanProcessor {
  private readonly relays = new WeakMap<Span | ReadableSpan, TaskRelay>()
  private readonly preciseStarts = new WeakMap<Span | ReadableSpan, number>()

  onStart (span: Span, parentContext: Context): void {
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
    const relayed = toRelayed(span, Math.abs(shift) <= 2 ? shift : 0, THREAD_ATTRIBUTES)
    const relay = this.relays.get(span)
    if (relay !== undefined && relay.open) relay.spans.push(relayed)
    else lateSpans.push(relayed)
  }

  async forceFlush (): Promise<void> {}
  async shutdown (): Promise<void> {}
}

let workerTracer: Tracer | undefined

/**
 * Once per thread: a context manager, a tracer provider that relays spans home, and W3C
 * propagation for code in the worker. Root spans are not recorded: a trace belongs to the caller,
 * and a task dispatched outside any trace runs untraced.
 */
function ensureWorkerTracing (): Tracer {
  if (workerTracer !== undefined) return workerTracer
  ensureContextManager()
  const provider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    spanProcessors: [new RelayProcessor()]
  })
  if (!trace.setGlobalTracerProvider(provider)) {
    diag.warn('fastify-otel-kit: a tracer provider is already registered in this worker; only the task span is relayed to the main thread')
  }
  propagation.setGlobalPropagator(new PriorityCompositePropagator([new W3CTraceContextPropagator(), new W3CBaggagePropagator()]))
  workerTracer = provider.getTracer(PACKAGE_NAME, PACKAGE_VERSION)
  return workerTracer
}

/**
 * Runs `fn(task)` with the caller's context restored (scoped: undone when the task ends, even on
 * throw), inside a task span that is a child of the dispatch span, and returns the reply with the
 * task's spans. A throw becomes a failed reply carrying the error, so its spans still travel.
 */
export async function runTracedTask (envelope: TaskEnvelope, fn: (task: unknown) => unknown): Promise<unknown> {
  if (isMainThread) {
    // Called on the main thread (tests, no pool): the main pipeline sees the spans directly.
    return await context.with(contextFromCarrier(envelope.carrier), () => fn(envelope.task))
  }
  const tracer = ensureWorkerTracing()
  const relay = new TaskRelay()
  const parent = contextFromCarrier(envelope.carrier)
  let taskContext = parent.setValue(TASK_RELAY, relay)
  const parentSpan = trace.getSpanContext(parent)
  const span = parentSpan !== undefined && isSpanContextValid(parentSpan)
    ? tracer.startSpan(`worker.task ${envelope.label}`, {
      kind: SpanKind.INTERNAL,
      startTime: preciseNow(),
      attributes: { 'worker.task.name': envelope.label }
    }, taskContext)
    : undefined
  if (span !== undefined) taskContext = trace.setSpan(taskContext, span)

  let reply: TaskReply
  let transferList: unknown[] = []
  try {
    let result = await context.with(taskContext, () => fn(envelope.task))
    if (isTransferableWrapper(result)) {
      transferList = ([] as unknown[]).concat(result[PISCINA_TRANSFERABLE])
      result = result[PISCINA_VALUE]
    }
    span?.setStatus({ code: SpanStatusCode.OK })
    span?.end(preciseNow())
    reply = { [REPLY_KEY]: PROTOCOL_VERSION, ok: true, result, spans: [], lateSpans: [], threadId }
  } catch (error) {
    if (span !== undefined) {
      span.recordException(error instanceof Error ? error : String(error))
      span.setAttribute('error.type', errorType(error))
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
      span.end(preciseNow())
    }
    reply = { [REPLY_KEY]: PROTOCOL_VERSION, ok: false, error, spans: [], lateSpans: [], threadId }
  }
  relay.open = false
  reply.spans = relay.spans
  reply.lateSpans = lateSpans.splice(0)
  return transferList.length > 0 ? movable(reply, transferList) : reply
}

/** The reply as a Piscina movable, so what the task asked to transfer is still transferred. */
function movable (reply: TaskReply, transferList: unknown[]): unknown {
  const piscina = createRequire(__filename)('piscina') as { move: (value: unknown) => unknown }
  return piscina.move({ [PISCINA_TRANSFERABLE]: transferList, [PISCINA_VALUE]: reply })
}
