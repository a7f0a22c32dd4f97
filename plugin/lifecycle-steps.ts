import type { Attributes } from '@opentelemetry/api'
import type { StepKind } from '../sdk/traces/route-summary.js'

/**
 * What Fastify does after a step, until the next thing the plugin observes: the name of that
 * stretch when it is slow (lifecycle-timing.ts). Numbers, compared on every timed call.
 */
export const STAGE_NONE = 0
/** After the request start, onRequest and preParsing hooks: receiving and parsing the body. */
export const STAGE_BODY = 1
/** After preValidation hooks, or from the first validator call: validation. */
export const STAGE_VALIDATION = 2
/** After the handler (or an error handler): Fastify's reply, serialization first. */
export const STAGE_REPLY = 3
/** After preSerialization hooks: serialization. */
export const STAGE_SERIALIZATION = 4
/** After serialization and onSend hooks: writing the response. */
export const STAGE_WRITE = 5

/**
 * What comes after a step in Fastify's order, for naming the stretch that ends where the step
 * starts (lifecycle-timing.ts).
 */
export const NEXT_BODY_HOOK = 0
export const NEXT_BEFORE_VALIDATION = 1
export const NEXT_AFTER_VALIDATION = 2
export const NEXT_REPLY = 3
export const NEXT_END = 4

/** The hook kinds by what comes after them. */
const NEXT_OF: Record<string, number> = {
  onRequest: NEXT_BODY_HOOK,
  preParsing: NEXT_BODY_HOOK,
  preValidation: NEXT_BEFORE_VALIDATION,
  preHandler: NEXT_AFTER_VALIDATION,
  handler: NEXT_AFTER_VALIDATION,
  notFoundHandler: NEXT_AFTER_VALIDATION,
  errorHandler: NEXT_REPLY,
  onError: NEXT_REPLY,
  preSerialization: NEXT_REPLY,
  onSend: NEXT_REPLY,
  onResponse: NEXT_END,
  onTimeout: NEXT_END,
  onRequestAbort: NEXT_END
}

/**
 * One hook, handler or error handler as a lifecycle span names it. Made once, when the function is
 * wrapped; every timed call reads it. Names and attributes are @fastify/otel's (`hook.name`,
 * `fastify.type`, `hook.callback.name`, `http.route`), so dashboards built on its hook spans keep
 * working: `preHandler - checkEntitlements`, `handler - getOrder`.
 */
export interface LifecycleStep {
  /** `onRequest`... `handler`, `notFoundHandler`, `errorHandler`. */
  readonly hook: string
  /** The span name: `<hook> - <function name>`. */
  readonly name: string
  readonly kind: StepKind
  /** The span's attributes; copied for each span (a processor may add to a span's own). */
  readonly attributes: Attributes
  /** The position of Fastify's `done` callback among the arguments, -1 when there is none. */
  readonly doneIndex: number
  /** What Fastify does once this step is over (a STAGE_*). */
  readonly stageAfter: number
  /** Where this step stands in Fastify's order (a NEXT_*), read on every timed call. */
  readonly next: number
}

/** The `done` position Fastify uses for each hook; async functions never get a done of theirs. */
const DONE_INDEX: Record<string, number> = {
  onRequest: 2,
  preParsing: 3,
  preValidation: 2,
  preHandler: 2,
  preSerialization: 3,
  onSend: 3,
  onResponse: 2,
  onError: 3,
  onTimeout: 2,
  onRequestAbort: 1
}

const STAGE_AFTER: Record<string, number> = {
  onRequest: STAGE_BODY,
  preParsing: STAGE_BODY,
  preValidation: STAGE_VALIDATION,
  preHandler: STAGE_NONE,
  handler: STAGE_REPLY,
  notFoundHandler: STAGE_REPLY,
  errorHandler: STAGE_REPLY,
  onError: STAGE_REPLY,
  preSerialization: STAGE_SERIALIZATION,
  onSend: STAGE_WRITE,
  onResponse: STAGE_NONE,
  onTimeout: STAGE_NONE,
  onRequestAbort: STAGE_NONE
}

/** Where a function was registered, for `hook.name` and `fastify.type`. */
export type StepOrigin = 'instance' | 'route' | 'not-found'

/** Fastify names an anonymous plugin by its source text: a long one is cut for the attribute. */
const MAX_PLUGIN_NAME = 120

function callbackName (fn: { readonly name: string }): string {
  return fn.name.length > 0 ? fn.name : 'anonymous'
}

/**
 * The step of a request hook. `pluginName` is the registering instance's (`fastify` for the
 * root); `route` the route template of a route-level hook.
 */
export function hookStep (
  hook: string,
  fn: (...args: never[]) => unknown,
  origin: StepOrigin,
  pluginName: string | undefined,
  route: string | undefined
): LifecycleStep {
  const plugin = shortPluginName(pluginName)
  const attributes: Attributes = {
    'hook.name':
      origin === 'route'
        ? `${plugin} - route -> ${hook}`
        : origin === 'not-found'
          ? `${plugin} - not-found-handler - ${hook}`
          : `${plugin} - ${hook}`,
    'fastify.type': origin === 'route' ? 'route-hook' : 'hook',
    'hook.callback.name': callbackName(fn)
  }
  if (origin === 'route' && route !== undefined) attributes['http.route'] = route
  return {
    hook,
    name: `${hook} - ${callbackName(fn)}`,
    kind: 'hook',
    attributes,
    doneIndex: fn.constructor?.name === 'AsyncFunction' ? -1 : (DONE_INDEX[hook] ?? -1),
    stageAfter: STAGE_AFTER[hook] ?? STAGE_NONE,
    next: NEXT_OF[hook] ?? NEXT_REPLY
  }
}

/** The step of a route handler, the not-found handler or an error handler. */
export function handlerStep (
  which: 'handler' | 'notFoundHandler' | 'errorHandler',
  fn: (...args: never[]) => unknown,
  pluginName: string | undefined,
  route: string | undefined
): LifecycleStep {
  const plugin = shortPluginName(pluginName)
  const attributes: Attributes =
    which === 'handler'
      ? { 'hook.name': `${plugin} - route-handler`, 'fastify.type': 'request-handler' }
      : which === 'notFoundHandler'
        ? { 'hook.name': `${plugin} - not-found-handler`, 'fastify.type': 'hook' }
        : { 'hook.name': `${plugin} - error-handler`, 'fastify.type': 'error-handler' }
  attributes['hook.callback.name'] = callbackName(fn)
  if (route !== undefined && which === 'handler') attributes['http.route'] = route
  return {
    hook: which,
    name: `${which} - ${callbackName(fn)}`,
    kind: 'handler',
    attributes,
    doneIndex: -1,
    stageAfter: STAGE_AFTER[which] ?? STAGE_REPLY,
    next: NEXT_OF[which] ?? NEXT_REPLY
  }
}

function shortPluginName (name: string | undefined): string {
  if (name === undefined || name === '') return 'fastify'
  return name.length <= MAX_PLUGIN_NAME ? name : `${name.slice(0, MAX_PLUGIN_NAME - 1)}…`
}
