import { type Attributes, type Context, type Span, SpanKind } from '@opentelemetry/api'
import { context, trace } from '../context/otel-api.js'
import { recordFailure } from '../context/record-failure.js'
import { COVERAGE_SCOPE, type CoverageScope, startUncollected } from '../sdk/traces/child-spans.js'
import type { StepKind } from '../sdk/traces/route-summary.js'
import { timeOn } from '../sdk/traces/span-clock.js'
import type { SpanStarter } from '../sdk/traces/span-starter.js'
import {
  type LifecycleStep,
  NEXT_AFTER_VALIDATION,
  NEXT_BEFORE_VALIDATION,
  NEXT_BODY_HOOK,
  NEXT_END,
  NEXT_REPLY,
  STAGE_BODY,
  STAGE_NONE,
  STAGE_REPLY,
  STAGE_SERIALIZATION,
  STAGE_VALIDATION,
  STAGE_WRITE
} from './lifecycle-steps.js'
import { RequestCoverage } from './request-coverage.js'
import type { RequestTelemetryState, SlowStep } from './request-telemetry-state.js'

/**
 * Where a request's time went, measured by the wrappers the plugin already puts around every hook
 * and handler for the context (lifecycle-context.ts). A timed call reads the performance clock
 * when it starts and when it returns, and once more when its promise settles or its `done` is
 * called; that is all it costs when nothing is slow. What crossed the threshold becomes a span
 * after the fact, with its real start and end, started through the package's span starter.
 *
 * Fastify's own phases (body parsing, validation, serialization, writing the response) run
 * between the functions the plugin wraps. Each request keeps a mark: the time of the last thing
 * observed and what Fastify does from there (a STAGE_*). When the next thing is observed, the
 * stretch since the mark is that phase's; a slow one becomes a span named for it. Serializers and
 * validators are wrapped too (lifecycle-phases.ts), so that serialization and validation have
 * edges of their own; a serializer that runs right after the handler's end starts at that mark
 * and reads the clock once.
 *
 * A synchronous stretch (the call's start to its return, or to `done` when called before the
 * return) over the blocking threshold becomes an `event_loop.blocked` event on the request span,
 * naming the step. Only the wrapped functions' synchronous parts are seen: the part of an async
 * function after an `await` runs outside any wrapper and is not charged to the request (the
 * route summary reports the process's event loop delay beside the routes).
 */

/** The phase names a reader sees on the trace and in the route summary. */
const BODY_PARSING = 'body parsing'
const BODY_PARSING_AND_VALIDATION = 'body parsing and validation'
const VALIDATION = 'validation'
const SERIALIZATION = 'serialization'
const RESPONSE = 'response'

/**
 * The request whose code runs synchronously right now: set for the duration of a timed call and of
 * the Fastify continuations the plugin hands on (`done`, promise reactions), so that a serializer,
 * which Fastify calls without the request, knows whose it is.
 */
let current: RequestTelemetryState | undefined

/** The request a serializer or validator runs for: the current one, else the active context's. */
export function requestInScope (): RequestTelemetryState | undefined {
  if (current !== undefined) return current
  const scope = context.active().getValue(COVERAGE_SCOPE) as CoverageScope | undefined
  const owner = scope?.owner
  return owner instanceof RequestCoverage ? (owner.request as RequestTelemetryState | undefined) : undefined
}

/** Runs `fn(a, b)` with `t` as the current request. */
function resume (t: RequestTelemetryState, fn: AnyFunction, self: unknown, a: unknown, b: unknown): unknown {
  const previous = current
  current = t
  try {
    return fn.call(self, a, b)
  } finally {
    current = previous
  }
}

type AnyFunction = (...args: any[]) => unknown

/**
 * Calls `fn` with the `arity` arguments Fastify passed, timed as `step` of request `t` (whose
 * `timing` is set), in the request's context (or, with `lifecycleSpans: 'all'`, in the step's
 * span's). Returns what `fn` returns, except that a promise comes back as a TimedResult, which
 * settles with it and notes the moment it settled before Fastify's own continuation runs.
 */
export function timedCall (
  t: RequestTelemetryState,
  step: LifecycleStep,
  fn: AnyFunction,
  self: unknown,
  arity: number,
  a: unknown,
  b: unknown,
  c: unknown,
  d: unknown
): unknown {
  const start = stepStarts(t, step)
  const all = t.timing!.mode === 'all'
  let span: Span | undefined
  let ctx: Context | undefined
  if (all) {
    span = startLifecycleSpan(t, step.name, step.attributes, start)
    ctx = trace.setSpan(t.context, span).setValue(COVERAGE_SCOPE, { span, owner: t.coverage! } satisfies CoverageScope)
  } else if (context.active() !== t.context) {
    ctx = t.context
  }

  let finished = false
  let inCall = true
  if (step.doneIndex >= 0) {
    const done = (step.doneIndex === 1 ? b : step.doneIndex === 2 ? c : d) as AnyFunction
    const timedDone = function (this: unknown, error?: unknown, value?: unknown): unknown {
      if (!finished) {
        finished = true
        const end = performance.now()
        if (inCall) {
          t.depth--
          blocked(t, step.name, start, end)
        }
        endStep(t, step, start, end, span, error !== undefined && error !== null, error)
      }
      // In 'all', the hook's span is active where done was called: Fastify goes on in the request's context.
      return all
        ? context.with(t.context, resume, undefined, t, done, this, error, value)
        : resume(t, done, this, error, value)
    }
    if (step.doneIndex === 1) b = timedDone
    else if (step.doneIndex === 2) c = timedDone
    else d = timedDone
  }

  t.depth++
  const previous = current
  current = t
  let result: unknown
  try {
    result = invoke(fn, self, ctx, arity, a, b, c, d)
  } catch (error) {
    current = previous
    inCall = false
    if (!finished) {
      finished = true
      t.depth--
      const end = performance.now()
      blocked(t, step.name, start, end)
      endStep(t, step, start, end, span, true, error)
    }
    throw error
  }
  current = previous
  inCall = false
  if (finished) return result
  t.depth--
  const returned = performance.now()
  blocked(t, step.name, start, returned)
  if (isThenable(result)) {
    finished = true
    return new TimedResult(result, t, step, start, span)
  }
  // A callback-style hook that has not called done yet: it ends when it does.
  if (step.doneIndex >= 0) return result
  if (!leftPending(t, step, start, result, b, span)) endStep(t, step, start, returned, span, false, undefined)
  return result
}

/**
 * The step starts: the stretch before it is closed, and its start is the mark when nothing can
 * have run since (in a continuation the plugin handed on, unless Fastify had work of its own to
 * do there), else a clock reading.
 */
function stepStarts (t: RequestTelemetryState, step: LifecycleStep): number {
  const next = step.next
  const start = current === t && t.depth === 0 && markIsNow(t, next) ? t.mark : performance.now()
  observe(t, start, next)
  t.mark = NaN
  if (step.stageAfter === STAGE_SERIALIZATION || step.hook === 'onSend') t.replyStarted = true
  return start
}

/**
 * A handler that returned without replying (undefined, nothing sent) will reply later, from a
 * callback: it is left pending, to end at the next thing observed. True when it was left so.
 */
function leftPending (
  t: RequestTelemetryState,
  step: LifecycleStep,
  start: number,
  result: unknown,
  reply: unknown,
  span?: Span
): boolean {
  if (
    result !== undefined ||
    step.kind !== 'handler' ||
    step.hook === 'errorHandler' ||
    t.replyStarted ||
    (reply as { sent?: boolean }).sent === true
  ) {
    return false
  }
  t.pending = step
  t.pendingStart = start
  t.pendingSpan = span
  return true
}

function invoke (
  fn: AnyFunction,
  self: unknown,
  ctx: Context | undefined,
  arity: number,
  a: unknown,
  b: unknown,
  c: unknown,
  d: unknown
): unknown {
  if (ctx === undefined) {
    if (arity === 2) return fn.call(self, a, b)
    if (arity === 3) return fn.call(self, a, b, c)
    return fn.call(self, a, b, c, d)
  }
  if (arity === 2) return context.with(ctx, fn, self, a, b)
  if (arity === 3) return context.with(ctx, fn, self, a, b, c)
  return context.with(ctx, fn, self, a, b, c, d)
}

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/**
 * What a timed call returns for a promise: a promise-like that settles with it (Fastify calls its
 * `then` once). Its reactions note the settling time first, then run Fastify's continuation with
 * the request current. It inherits from Promise.prototype, so `catch`, `finally`, `await` and
 * `instanceof Promise` work for any other code that holds it.
 */
class TimedResult implements PromiseLike<unknown> {
  private settled = false

  constructor (
    private readonly promise: PromiseLike<unknown>,
    private readonly t: RequestTelemetryState,
    private readonly step: LifecycleStep,
    private readonly start: number,
    private readonly span: Span | undefined
  ) {}

  then<R1 = unknown, R2 = never>(
    onFulfilled?: ((value: unknown) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null
  ): PromiseLike<R1 | R2> {
    return this.promise.then(
      (value) => {
        this.settle(false, undefined)
        if (typeof onFulfilled !== 'function') return value as R1
        return resume(this.t, onFulfilled, undefined, value, undefined) as R1
      },
      (error) => {
        this.settle(true, error)
        if (typeof onRejected !== 'function') throw error
        return resume(this.t, onRejected, undefined, error, undefined) as R2
      }
    )
  }

  private settle (failed: boolean, error: unknown): void {
    if (this.settled) return
    this.settled = true
    endStep(this.t, this.step, this.start, performance.now(), this.span, failed, error)
  }
}
Object.setPrototypeOf(TimedResult.prototype, Promise.prototype)

/**
 * Whether, in a synchronous continuation of the last thing observed, the mark still stands for
 * now: Fastify does nothing that takes time between a step and the next one, except parse a
 * body, validate and serialize, which have stages of their own.
 */
function markIsNow (t: RequestTelemetryState, next: number): boolean {
  if (t.pending !== undefined || Number.isNaN(t.mark)) return false
  switch (t.stage) {
    case STAGE_NONE:
    case STAGE_WRITE:
      return true
    case STAGE_BODY:
      return next === NEXT_BODY_HOOK || (!t.hasBody && !t.validates)
    default:
      return false
  }
}

/** A step ended at `end`: its span (all), or a span if it was slow; then the mark moves on. */
function endStep (
  t: RequestTelemetryState,
  step: LifecycleStep,
  start: number,
  end: number,
  span: Span | undefined,
  failed: boolean,
  error: unknown
): void {
  const millis = end - start
  const slow = millis >= t.timing!.slowMillis
  if (span !== undefined) {
    if (failed) recordFailure(span, error)
    span.end(timeOn(t.clock!, end))
    if (slow) noteSlow(t, step.name, step.kind, start, end, undefined)
  } else if (slow) {
    noteSlow(t, step.name, step.kind, start, end, { attributes: step.attributes, failed, error })
  }
  t.mark = end
  t.stage = step.stageAfter
}

/**
 * Something was observed at `now`: a handler waiting for its reply ends here; otherwise the
 * stretch since the mark belongs to the phase the stage names, and is a span if it is slow.
 */
export function observe (t: RequestTelemetryState, now: number, next: number): void {
  const pending = t.pending
  if (pending !== undefined) {
    t.pending = undefined
    const span = t.pendingSpan
    t.pendingSpan = undefined
    // What the request failed with (its onError hook runs before anything else is observed).
    const failure = t.failure
    endStep(t, pending, t.pendingStart, now, span, failure !== undefined, failure)
    return
  }
  const mark = t.mark
  // NaN (a step is running, or nothing is known) compares false.
  if (!(now - mark >= t.timing!.slowMillis)) return
  const name = phaseName(t.stage, next, t.validates, t.hasBody)
  if (name !== undefined) recordPhase(t, name, mark, now)
}

function phaseName (stage: number, next: number, validates: boolean, hasBody: boolean): string | undefined {
  if (next === NEXT_END) return RESPONSE
  switch (stage) {
    case STAGE_BODY:
      // Without a body, the stretch is Fastify's routing: microseconds, unless the code is still cold.
      if (next === NEXT_REPLY || next === NEXT_BODY_HOOK) return undefined
      if (next === NEXT_AFTER_VALIDATION && validates) return hasBody ? BODY_PARSING_AND_VALIDATION : VALIDATION
      return hasBody ? BODY_PARSING : undefined
    case STAGE_VALIDATION:
      return next === NEXT_BODY_HOOK ? undefined : VALIDATION
    case STAGE_REPLY:
    case STAGE_SERIALIZATION:
      return next === NEXT_REPLY ? SERIALIZATION : undefined
    default:
      return undefined
  }
}

const PHASE_ATTRIBUTES: Record<string, Attributes> = Object.fromEntries(
  [BODY_PARSING, BODY_PARSING_AND_VALIDATION, VALIDATION, SERIALIZATION, RESPONSE].map((name) => [
    name,
    Object.freeze({ 'fastify.type': 'phase', 'fastify.phase': name })
  ])
)

/** A slow phase of Fastify's own: a span named for it (if nothing else explains it), and the route summary. */
function recordPhase (t: RequestTelemetryState, name: string, start: number, end: number): void {
  noteSlow(t, name, 'phase', start, end, { attributes: PHASE_ATTRIBUTES[name]!, failed: false, error: undefined })
}

/**
 * A slow step, for the route summary and (with `span`) the trace. It waits for the request's end,
 * when the request's coverage says how much of it nothing else covered (request-span.ts): a hook
 * that awaited a database query whose span is there already gains no span of its own. Without
 * coverage (an application's SDK), or when the step ends after the request (an onResponse hook
 * still running), it is recorded as it is.
 */
function noteSlow (
  t: RequestTelemetryState,
  name: string,
  kind: StepKind,
  start: number,
  end: number,
  span: SlowStep['span']
): void {
  const slow: SlowStep = span === undefined ? { name, kind, start, end } : { name, kind, start, end, span }
  if (t.summarized || !t.coverageKnown) {
    if (span !== undefined) lateSpan(t, slow)
    if (t.summarized) {
      t.record?.recordStep(name, kind, end - start)
      return
    }
  }
  if (t.slowSteps === undefined) t.slowSteps = [slow]
  else t.slowSteps.push(slow)
}

/**
 * At the request's end: a slow step waiting for its span gets it when `uncovered` (the part of it no
 * other child of the request covered, undefined when that is not known) reaches the threshold.
 * Its real start and end, its failure if it threw.
 */
export function settleSlowStep (t: RequestTelemetryState, step: SlowStep, uncovered: number | undefined): void {
  if (step.span === undefined || !t.coverageKnown) return
  if (uncovered !== undefined && uncovered < t.timing!.slowMillis) return
  lateSpan(t, step)
}

function lateSpan (t: RequestTelemetryState, step: SlowStep): void {
  const span = startLifecycleSpan(t, step.name, step.span!.attributes, step.start)
  if (step.span!.failed) recordFailure(span, step.span!.error)
  span.end(timeOn(t.clock!, step.end))
}

/** A lifecycle span under the request span: it explains the request's time, so it is not a covering child. */
function startLifecycleSpan (t: RequestTelemetryState, name: string, attributes: Attributes, start: number): Span {
  const spans = (t.runtime as unknown as { spans: SpanStarter }).spans
  return startUncollected(() =>
    spans.start(name, SpanKind.INTERNAL, { ...attributes }, t.context, timeOn(t.clock!, start))
  )
}

/** A synchronous stretch of `step` from `start` to `end`: an event on the request span if it blocked too long. */
function blocked (t: RequestTelemetryState, step: string, start: number, end: number): void {
  const millis = end - start
  if (millis < t.timing!.blockingMillis || t.ended) return
  t.span.addEvent(
    'event_loop.blocked',
    { 'event_loop.blocked.duration_ms': Math.round(millis * 1000) / 1000, 'fastify.step': step },
    timeOn(t.clock!, start)
  )
  t.record?.recordBlocked(millis)
}

/** Output shorter than this cannot have taken Fastify's default JSON serializer long: no clock reading. */
const SHORT_JSON = 65536

/**
 * A serializer call (lifecycle-phases.ts), timed as the serialization phase of the request in
 * scope. Right after the handler's end or a preSerialization hook (Fastify serializes
 * synchronously in the continuation the plugin handed on), it starts at that mark and reads the
 * clock once at its end; otherwise (a reply sent from inside the handler, or later from a
 * callback) twice. `plainJson` is Fastify's own JSON.stringify: right after the handler, a short
 * result is not timed at all (it took microseconds), and its time stays in the stretch that follows.
 */
export function timedSerialization (
  fn: AnyFunction,
  self: unknown,
  a: unknown,
  b: unknown,
  plainJson: boolean
): unknown {
  const t = requestInScope()
  if (t === undefined || t.timing === null || t.ended) return fn.call(self, a, b)
  let adjacent =
    current === t &&
    t.depth === 0 &&
    (t.stage === STAGE_REPLY || t.stage === STAGE_SERIALIZATION) &&
    !Number.isNaN(t.mark)
  let start = t.mark
  if (!adjacent) {
    start = performance.now()
    const handlerEnds = t.pending !== undefined
    observe(t, start, NEXT_REPLY)
    // The handler waiting for its end ended here: what follows is as right after its end.
    adjacent = handlerEnds && t.stage === STAGE_REPLY
  }
  t.replyStarted = true
  const result = fn.call(self, a, b)
  if (plainJson && adjacent && typeof result === 'string' && result.length < SHORT_JSON) return result
  const end = performance.now()
  blocked(t, SERIALIZATION, start, end)
  if (end - start >= t.timing.slowMillis) recordPhase(t, SERIALIZATION, start, end)
  t.mark = end
  t.stage = STAGE_WRITE
  return result
}

/**
 * The first validator of a request was called (lifecycle-phases.ts): the stretch before it was
 * the body's, and validation starts here. Later validators of the same request read nothing.
 */
export function validationStarts (t: RequestTelemetryState): void {
  if (t.timing === null || t.stage === STAGE_VALIDATION || t.ended) return
  const now = performance.now()
  observe(t, now, NEXT_BEFORE_VALIDATION)
  t.mark = now
  t.stage = STAGE_VALIDATION
}

/** The response is over at `end`: the last stretch (writing the response) is closed. */
export function endTiming (t: RequestTelemetryState, end: number): void {
  if (t.timing === null) return
  observe(t, end, NEXT_END)
}

/**
 * Runs Fastify's continuation from the plugin's own first hook in the request's context, with `t`
 * current. (`current` is set around `context.with` rather than inside it: extra arguments to
 * `context.with` cost an array and a spread at each of its layers, on every request.)
 */
export function continueAsCurrent (t: RequestTelemetryState, done: () => void): void {
  const previous = current
  current = t
  try {
    context.with(t.context, done)
  } finally {
    current = previous
  }
}
