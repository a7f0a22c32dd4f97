import { type Span, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api'
import { context, trace } from '../../context/otel-api.js'
import { addHrTimes, hrTime, hrTimeDuration } from '@opentelemetry/core'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { basename, extname, join } from 'node:path'
import { captureContext } from '../../context/carrier.js'
import { errorType } from '../../context/error-type.js'
import { invalidPool } from '../../sdk/errors.js'
import { startFastSpan } from '../../sdk/spans/span-factory.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import {
  isReply, isTransferableWrapper, makeEnvelope, PISCINA_TRANSFERABLE, PISCINA_VALUE, type TaskTarget
} from '../protocol/messages.js'
import type { TimeWindow } from './span-decoder.js'
import { deliverSpans } from './span-delivery.js'
import { currentSpanSink } from '../../sdk/spans/span-sink.js'

/**
 * The part of a Piscina pool runInWorker uses. `run` is typed loosely on purpose so that every
 * Piscina version's own signature fits.
 */
export interface PoolLike {
  run(task: any, options?: any): Promise<unknown>
  readonly options?: { filename?: string | null, name?: string | null }
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
type TracedPoolMarks = { [UNTRACED_RUN]?: PoolLike['run'] }

/** The generic entry that runs a traced task inside the worker. */
export const TRACED_ENTRY_FILENAME = join(__dirname, '..', 'worker', 'traced-entry.js')

/**
 * Runs a Piscina task with the caller's context carried into the worker thread.
 *
 * On the main thread it opens a dispatch span (a child of the active span), so the time the task
 * waits in the pool's queue is visible; in the worker the task runs in a task span (a child of the
 * dispatch span) with the caller's context restored, and the spans made there come back with the
 * result and are exported here, with this service's resource. Any worker module works unchanged.
 *
 * Errors and aborts reject exactly as `pool.run` would; the spans record them.
 */
export async function runInWorker<R = unknown> (pool: PoolLike, task: unknown, options: RunInWorkerOptions = {}): Promise<R> {
  if (pool === null || typeof pool !== 'object' || typeof pool.run !== 'function') throw invalidPool(pool)
  // A traced pool's run is runInWorker itself: dispatch through the pool's own run.
  const untracedRun = (pool as TracedPoolMarks)[UNTRACED_RUN]
  const target = resolveTarget(pool, options)
  const label = options.spanName ?? taskLabel(target)

  const caller = context.active()
  const callerSpan = trace.getSpan(caller)
  let dispatch: Span | undefined
  let window: TimeWindow = { shift: undefined, notBefore: undefined, notAfter: undefined }
  let carrierContext = caller
  // Read once: where dispatch spans are built (fast path) and where relayed spans go.
  const sink = currentSpanSink()
  // Only sampled work gets spans. A task dispatched outside any trace runs untraced; for an
  // unsampled caller the carrier simply carries the caller's context (its trace id, sampled
  // flag and baggage), because nothing on either side would be recorded.
  if (callerSpan !== undefined && (callerSpan.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) {
    const name = `worker.dispatch ${label}`
    const attributes = { 'worker.task.name': label, 'worker.pool.queue_size': pool.queueSize ?? 0 }
    const factory = sink?.spanFactory
    dispatch = factory !== undefined
      ? startFastSpan(factory, name, SpanKind.INTERNAL, attributes, caller)
      : trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION).startSpan(name, { kind: SpanKind.INTERNAL, attributes }, caller)
    // The offset between this span's clock and the precise clock the worker reports in.
    const precise = hrTime()
    carrierContext = trace.setSpan(caller, dispatch)
    const startTime = (dispatch as Partial<ReadableSpan>).startTime
    if (startTime !== undefined) window = { shift: hrTimeDuration(precise, startTime), notBefore: startTime, notAfter: undefined }
  }

  let transferList = options.transferList ?? []
  let payload = task
  if (isTransferableWrapper(task)) {
    // A Piscina.move() task: the wrapper cannot sit inside the envelope, its transferables can.
    transferList = transferList.concat(task[PISCINA_TRANSFERABLE])
    payload = task[PISCINA_VALUE]
  }
  const envelope = makeEnvelope(captureContext(carrierContext), target, label, payload)

  let reply: unknown
  try {
    const runOptions: { filename: string, name: string, signal?: AbortSignal, transferList?: readonly unknown[] } = { filename: TRACED_ENTRY_FILENAME, name: 'default' }
    if (options.signal !== undefined) runOptions.signal = options.signal
    if (transferList.length > 0) runOptions.transferList = transferList
    reply = await (untracedRun === undefined ? pool.run(envelope, runOptions) : untracedRun(envelope, runOptions))
  } catch (error) {
    // Piscina's own failures: abort, pool closed, worker crashed, module not found.
    if (dispatch !== undefined) {
      recordFailure(dispatch, error)
      if (isAbort(error)) dispatch.addEvent('worker.task.aborted')
      dispatch.end()
    }
    throw error
  }
  if (!isReply(reply)) {
    dispatch?.end()
    return reply as R
  }
  const [, ok, value, threadId] = reply
  if (window.shift !== undefined) window.notAfter = addHrTimes(hrTime(), window.shift)
  deliverSpans(reply, window, sink)
  if (dispatch !== undefined) {
    dispatch.setAttribute('thread.id', threadId)
    if (ok === 1) dispatch.setStatus({ code: SpanStatusCode.OK })
    else recordFailure(dispatch, value)
    // Ends exactly where the relayed spans were bounded, so none can end after it.
    dispatch.end(window.notAfter)
  }
  if (ok !== 1) throw value
  return value as R
}

function resolveTarget (pool: PoolLike, options: RunInWorkerOptions): TaskTarget {
  const filename = options.filename ?? pool.options?.filename ?? undefined
  if (typeof filename !== 'string' || filename === '') {
    throw new TypeError('filename must be provided to run() or in options object')
  }
  return { filename, name: options.name ?? pool.options?.name ?? 'default' }
}

const moduleLabels = new Map<string, string>()

/** `resize` for a named export, `receipt-worker` for the default export of receipt-worker.mjs. */
function taskLabel (target: TaskTarget): string {
  if (target.name !== 'default') return target.name
  let label = moduleLabels.get(target.filename)
  if (label === undefined) {
    const file = basename(target.filename.replace(/^file:\/\//, ''))
    label = file.slice(0, file.length - extname(file).length)
    moduleLabels.set(target.filename, label)
  }
  return label
}

function recordFailure (span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error))
  span.setAttribute('error.type', errorType(error))
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
}

function isAbort (error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR')
}
