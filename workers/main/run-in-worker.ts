import {
  type Context,
  defaultTextMapSetter,
  INVALID_SPANID,
  INVALID_TRACEID,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags
} from '@opentelemetry/api'
import { addHrTimes, hrTime, hrTimeDuration, W3CBaggagePropagator } from '@opentelemetry/core'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import { recordFailure } from '../../context/record-failure.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import { context, trace } from '../../context/otel-api.js'
import { invalidPool } from '../../sdk/errors.js'
import { tracerSpanStarter } from '../../sdk/traces/span-starter.js'
import { currentSpanSink, type SpanSink } from '../../sdk/traces/span-sink.js'
import {
  isReply,
  isTransferableWrapper,
  makeEnvelope,
  PISCINA_TRANSFERABLE,
  PISCINA_VALUE,
  Reply
} from '../protocol/messages.js'
import type { TimeWindow } from './span-decoder.js'
import { deliverLogRecords } from './log-delivery.js'
import { deliverSpans } from './span-delivery.js'
import { POOL_TARGET, type PoolTarget, routeTask } from './task-route.js'
import { trackSignal, watchPool } from './worker-watch.js'
import { listenForWorkerMetrics } from './metric-delivery.js'

export { TRACED_ENTRY_FILENAME } from './task-route.js'

/**
 * The part of a Piscina pool runInWorker uses. `run` is typed loosely on purpose so that every
 * Piscina version's own signature fits.
 */
export interface PoolLike {
  run(task: any, options?: any): Promise<unknown>
  readonly options?: { filename?: string | null; name?: string | null }
  readonly queueSize?: number
}

export interface RunInWorkerOptions {
  /** The exported task function to run (Piscina's `name`). Default: the pool's, usually `default`. */
  name?: string
  /** The worker module for this task (Piscina's `filename`). Default: the pool's. */
  filename?: string
  signal?: AbortSignal
  transferList?: readonly unknown[]
  /** Names the dispatch and task spans. Default: `name`, or the worker module's base name. */
  spanName?: string
}

/** Set on pools whose run was replaced by runInWorker (traceWorkerPool): the original run. */
export const UNTRACED_RUN = Symbol.for('fastify-otel-kit.untraced-run')
type TracedPoolMarks = { [UNTRACED_RUN]?: PoolLike['run']; [POOL_TARGET]?: PoolTarget }

type RunOptions = { filename?: string; name?: string; signal?: AbortSignal; transferList?: readonly unknown[] }

const baggageFormat = new W3CBaggagePropagator()

/**
 * Runs a Piscina task with the caller's context carried into the worker thread.
 *
 * A sampled caller gets a dispatch span (its child) on the main thread, so the time the task
 * waits in the pool's queue is visible; outside any trace, the application's sampler decides
 * whether the dispatch span starts a new trace, as any span started there would. In the worker a
 * sampled task runs in a task span (a child of the dispatch span), and the spans made there come
 * back with the result and are exported here, with this service's resource. An unsampled task
 * records nothing, but its context (trace id, sampled flag, baggage) still crosses. Any worker
 * module works unchanged.
 *
 * Results, errors (whatever value was thrown) and aborts are exactly those of `pool.run`.
 */
export function runInWorker<R = unknown> (pool: PoolLike, task: unknown, options: RunInWorkerOptions = {}): Promise<R> {
  if (pool === null || typeof pool !== 'object' || typeof pool.run !== 'function') {
    return Promise.reject(invalidPool(pool))
  }
  const marks = pool as TracedPoolMarks
  // A traced pool's run is runInWorker itself: dispatch through the pool's own run.
  const untracedRun = marks[UNTRACED_RUN]
  const route =
    options !== null && typeof options === 'object' ? routeTask(pool.options, marks[POOL_TARGET], options) : undefined
  // Nothing to route (no filename, options or names of the wrong type): Piscina's own refusal.
  if (route === undefined) return (untracedRun ?? pool.run.bind(pool))(task, options) as Promise<R>
  watchPool(pool)
  listenForWorkerMetrics()

  let transferList = options.transferList
  let payload = task
  if (isTransferableWrapper(task)) {
    // A Piscina.move() task: the wrapper cannot sit inside the envelope, its transferables can.
    transferList = (transferList ?? []).concat(task[PISCINA_TRANSFERABLE])
    payload = task[PISCINA_VALUE]
  }
  const signal = options.signal
  const runOptions = runOptionsFor(route.filename, route.name, signal, transferList)
  const dispatchTask = (envelope: unknown): Promise<unknown> =>
    untracedRun === undefined ? pool.run(envelope, runOptions) : untracedRun(envelope, runOptions)

  const caller = context.active()
  const callerSpan = trace.getSpanContext(caller)
  // An unsampled caller: nothing on either side would be recorded. The task and its reply travel
  // as they would with pool.run, the envelope only adds the caller's context.
  if (hasSpan(callerSpan) && (callerSpan.traceFlags & TraceFlags.SAMPLED) === 0) {
    return inFlight(pool, signal, dispatchTask(envelopeFor(callerSpan, caller, payload, '')))
  }

  // A sampled caller's child, or (outside any trace) a root the sampler decides on.
  const sink = currentSpanSink()
  const label = options.spanName ?? route.label
  const dispatch = startDispatch(sink, label, pool.queueSize ?? 0, caller)
  const dispatched = dispatch.spanContext()
  // The sampled flag alone decides, as it does in the worker: a sampled task always replies with
  // its spans (a tracer without an SDK hands back the caller's sampled context, not recording).
  if ((dispatched.traceFlags & TraceFlags.SAMPLED) === 0) {
    // Not sampled (or tracing suppressed): the new trace's id still crosses, as it would to a
    // child on this thread.
    const carried = hasSpan(dispatched) ? dispatched : undefined
    return inFlight(pool, signal, dispatchTask(envelopeFor(carried, caller, payload, '')))
  }

  // The offset between the dispatch span's clock and the precise clock the worker reports in.
  const precise = hrTime()
  const startTime = (dispatch as Partial<ReadableSpan>).startTime
  const window: TimeWindow =
    startTime === undefined
      ? { shift: undefined, notBefore: undefined, notAfter: undefined }
      : { shift: hrTimeDuration(precise, startTime), notBefore: startTime, notAfter: undefined }
  const envelope = envelopeFor(dispatched, caller, payload, options.spanName ?? '')
  const settled = dispatchTask(envelope).then(
    (reply) => settle(reply, dispatch, dispatched.traceId, window, sink),
    (error: unknown) => {
      // Piscina's own failures: abort, pool closed, worker crashed, module not found.
      recordFailure(dispatch, error)
      if (isAbort(error)) dispatch.addEvent('worker.task.aborted')
      dispatch.end()
      throw error
    }
  )
  return inFlight(pool, signal, settled) as Promise<R>
}

/** Only the options that are set: Piscina copies the object on every run. */
function runOptionsFor (
  filename: string | undefined,
  name: string | undefined,
  signal: AbortSignal | undefined,
  transferList: readonly unknown[] | undefined
): RunOptions | undefined {
  if (signal === undefined && transferList === undefined) {
    if (filename !== undefined) return { filename, name }
    return name === undefined ? undefined : { name }
  }
  const options: RunOptions = {}
  if (filename !== undefined) options.filename = filename
  if (name !== undefined) options.name = name
  if (signal !== undefined) options.signal = signal
  if (transferList !== undefined) options.transferList = transferList
  return options
}

/**
 * A span context that is not the API's invalid one. The ids of spans made in this process are
 * well formed by construction; the worker checks them in full (envelope-context.ts).
 */
function hasSpan (spanContext: SpanContext | undefined): spanContext is SpanContext {
  return (
    spanContext !== undefined &&
    spanContext.traceId !== INVALID_TRACEID &&
    spanContext.spanId !== INVALID_SPANID &&
    spanContext.traceId.length === 32
  )
}

function inFlight<R> (pool: object, signal: AbortSignal | undefined, task: Promise<unknown>): Promise<R> {
  return (signal === undefined ? task : trackSignal(pool, signal, task)) as Promise<R>
}

const baggageCarrier: { baggage?: string } = {}

/** The envelope: `spanContext` as the parent in the worker, the baggage of `caller`. */
function envelopeFor (spanContext: SpanContext | undefined, caller: Context, task: unknown, spanName: string): unknown {
  // The W3C baggage format (and its rule: nothing while tracing is suppressed), as captureContext.
  baggageCarrier.baggage = undefined
  baggageFormat.inject(caller, baggageCarrier, defaultTextMapSetter)
  const baggage = baggageCarrier.baggage ?? ''
  return spanContext === undefined
    ? makeEnvelope('', '', 0, task, '', baggage, spanName)
    : makeEnvelope(
      spanContext.traceId,
      spanContext.spanId,
      spanContext.traceFlags,
      task,
      spanContext.traceState?.serialize() ?? '',
      baggage,
      spanName
    )
}

function startDispatch (sink: SpanSink | undefined, label: string, queueSize: number, parent: Context): Span {
  const name = `worker.dispatch ${label}`
  const attributes = { 'worker.task.name': label, 'worker.pool.queue_size': queueSize }
  // Without any pipeline, the API's tracer (a no-op one, or whatever is registered later).
  return (sink?.spans ?? tracerSpanStarter(trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION))).start(
    name,
    SpanKind.INTERNAL,
    attributes,
    parent
  )
}

function settle (
  reply: unknown,
  dispatch: Span,
  traceId: string,
  window: TimeWindow,
  sink: SpanSink | undefined
): unknown {
  if (!isReply(reply)) {
    dispatch.end()
    return reply
  }
  const ok = reply[Reply.Ok]
  const value = reply[Reply.Value]
  if (window.shift !== undefined) window.notAfter = addHrTimes(hrTime(), window.shift)
  deliverLogRecords(reply, deliverSpans(reply, traceId, window, sink))
  dispatch.setAttribute('thread.id', reply[Reply.ThreadId])
  if (ok === 1) dispatch.setStatus({ code: SpanStatusCode.OK })
  else recordFailure(dispatch, value)
  // Ends exactly where the relayed spans were bounded, so none can end after it.
  dispatch.end(window.notAfter)
  if (ok === 1) return value
  // Piscina settles a task by its error being null or not: a `throw null` resolves with null.
  if (value === null) return null
  throw value
}

function isAbort (error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR')
}
