import type { Context } from '@opentelemetry/api'
import { context } from '../context/otel-api.js'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { handlerStep, hookStep, type LifecycleStep, type StepOrigin } from './lifecycle-steps.js'
import { timedCall } from './lifecycle-timing.js'
import type { RequestTelemetryState } from './request-telemetry-state.js'
import { kBound, kRequestTelemetry } from './symbols.js'

/**
 * Why this file exists: Fastify runs each hook and the handler in its own continuation, and some
 * continuations start from an event emitter that knows nothing about the request (the body
 * parser's 'end', the response's 'finish', the socket's 'close'). The request context is therefore
 * made active for each hook and handler separately, with scoped activation (`context.with`), never
 * `enterWith`, so nothing leaks into the next request on the same socket.
 *
 * The same wrappers time what they wrap (lifecycle-timing.ts) when the request is timed: each
 * wrapper knows its step (hook, function name, where it was registered) from the moment it is made.
 */

export const REQUEST_HOOKS = [
  'onRequest',
  'preParsing',
  'preValidation',
  'preHandler',
  'preSerialization',
  'onSend',
  'onResponse',
  'onError',
  'onTimeout',
  'onRequestAbort'
] as const
type RequestHookName = (typeof REQUEST_HOOKS)[number]
const REQUEST_HOOK_SET: ReadonlySet<string> = new Set(REQUEST_HOOKS)

type AnyFunction = ((...args: any[]) => unknown) & { [kBound]?: true }
type HookStore = Record<RequestHookName, AnyFunction[]>

function telemetryOf (request: unknown): RequestTelemetryState | null | undefined {
  return (request as { [kRequestTelemetry]?: RequestTelemetryState | null } | null | undefined)?.[kRequestTelemetry]
}

/**
 * Wraps `fn` so it runs with the context of the request found at argument `requestIndex`. The
 * wrapper forwards exactly the `arity` arguments Fastify passes for this kind of function (so a
 * hook written with rest parameters still gets `done`), keeps `fn`'s name and length (Fastify and
 * users inspect both), and returns what `fn` returns, so promise-returning and callback-style
 * functions both keep working. Fixed arity avoids an `arguments` object per call. A timed request
 * (its `timing` set) goes through timedCall instead, which also keeps the context.
 */
function bindToRequest (fn: AnyFunction, requestIndex: 0 | 1, arity: 2 | 3 | 4, step: LifecycleStep): AnyFunction {
  if (fn[kBound] === true) return fn
  const contextFor = (telemetry: RequestTelemetryState): Context | undefined =>
    context.active() === telemetry.context ? undefined : telemetry.context
  let bound: AnyFunction
  if (requestIndex === 1) {
    bound = function (this: unknown, error: unknown, request: unknown, reply: unknown) {
      const telemetry = telemetryOf(request)
      if (telemetry === null || telemetry === undefined || !telemetry.traced) {
        return fn.call(this, error, request, reply)
      }
      if (telemetry.timing !== null) return timedCall(telemetry, step, fn, this, 3, error, request, reply, undefined)
      const ctx = contextFor(telemetry)
      return ctx === undefined
        ? fn.call(this, error, request, reply)
        : context.with(ctx, () => fn.call(this, error, request, reply))
    }
  } else if (arity === 2) {
    bound = function (this: unknown, request: unknown, second: unknown) {
      const telemetry = telemetryOf(request)
      if (telemetry === null || telemetry === undefined || !telemetry.traced) return fn.call(this, request, second)
      if (telemetry.timing !== null) {
        return timedCall(telemetry, step, fn, this, 2, request, second, undefined, undefined)
      }
      const ctx = contextFor(telemetry)
      return ctx === undefined
        ? fn.call(this, request, second)
        : context.with(ctx, () => fn.call(this, request, second))
    }
  } else if (arity === 3) {
    bound = function (this: unknown, request: unknown, second: unknown, third: unknown) {
      const telemetry = telemetryOf(request)
      if (telemetry === null || telemetry === undefined || !telemetry.traced) {
        return fn.call(this, request, second, third)
      }
      if (telemetry.timing !== null) return timedCall(telemetry, step, fn, this, 3, request, second, third, undefined)
      const ctx = contextFor(telemetry)
      return ctx === undefined
        ? fn.call(this, request, second, third)
        : context.with(ctx, () => fn.call(this, request, second, third))
    }
  } else {
    bound = function (this: unknown, request: unknown, second: unknown, third: unknown, fourth: unknown) {
      const telemetry = telemetryOf(request)
      if (telemetry === null || telemetry === undefined || !telemetry.traced) {
        return fn.call(this, request, second, third, fourth)
      }
      if (telemetry.timing !== null) return timedCall(telemetry, step, fn, this, 4, request, second, third, fourth)
      const ctx = contextFor(telemetry)
      return ctx === undefined
        ? fn.call(this, request, second, third, fourth)
        : context.with(ctx, () => fn.call(this, request, second, third, fourth))
    }
  }
  Object.defineProperty(bound, 'length', { value: fn.length })
  Object.defineProperty(bound, 'name', { value: fn.name })
  bound[kBound] = true
  return bound
}

/** How many arguments Fastify passes to each request hook. */
const HOOK_ARITY: Record<RequestHookName, 2 | 3 | 4> = {
  onRequest: 3,
  preParsing: 4,
  preValidation: 3,
  preHandler: 3,
  preSerialization: 4,
  onSend: 4,
  onResponse: 3,
  onError: 4,
  onTimeout: 3,
  onRequestAbort: 2
}

/**
 * Fastify rejects an async hook that also takes a callback; such a hook is passed through
 * unchanged so Fastify's own error reaches the user instead of being hidden by the wrapper.
 */
function isInvalidAsyncHook (name: RequestHookName, fn: AnyFunction): boolean {
  if (fn.constructor?.name !== 'AsyncFunction') return false
  if (name === 'onSend' || name === 'preSerialization' || name === 'onError' || name === 'preParsing') {
    return fn.length === 4
  }
  if (name === 'onRequestAbort') return fn.length !== 1
  return fn.length === 3
}

/** Where a hook came from, for its step's name and attributes. */
interface HookOrigin {
  origin: StepOrigin
  pluginName: string | undefined
  route?: string | undefined
}

export function bindHook (name: string, fn: unknown, where: HookOrigin): unknown {
  if (typeof fn !== 'function' || !REQUEST_HOOK_SET.has(name)) return fn
  if (isInvalidAsyncHook(name as RequestHookName, fn as AnyFunction)) return fn
  const step = hookStep(name, fn as AnyFunction, where.origin, where.pluginName, where.route)
  return bindToRequest(fn as AnyFunction, 0, HOOK_ARITY[name as RequestHookName], step)
}

export const bindHandler = (
  fn: AnyFunction,
  which: 'handler' | 'notFoundHandler',
  pluginName: string | undefined,
  route: string | undefined
): AnyFunction => bindToRequest(fn, 0, 2, handlerStep(which, fn, pluginName, route))

export const bindErrorHandler = (fn: AnyFunction, pluginName: string | undefined): AnyFunction =>
  bindToRequest(fn, 1, 3, handlerStep('errorHandler', fn, pluginName, undefined))

/** Route-level hooks may be one function or an array. */
function bindRouteHooks (holder: Record<string, unknown>, where: HookOrigin): void {
  for (const name of REQUEST_HOOKS) {
    const value = holder[name]
    if (Array.isArray(value)) holder[name] = value.map((fn) => bindHook(name, fn, where))
    else if (value !== undefined) holder[name] = bindHook(name, value, where)
  }
}

/**
 * Finds the instance's hook store. Fastify keeps it under a private symbol; without it, hooks
 * added before the plugin cannot be bound and the plugin's first hook cannot run first.
 */
function hookStoreOf (instance: FastifyInstance): HookStore | undefined {
  const symbol = Object.getOwnPropertySymbols(instance).find((s) => s.description === 'fastify.hooks')
  const store = symbol === undefined ? undefined : (instance as unknown as Record<symbol, unknown>)[symbol]
  if (store === null || typeof store !== 'object') return undefined
  return REQUEST_HOOKS.every((name) => Array.isArray((store as Record<string, unknown>)[name]))
    ? (store as HookStore)
    : undefined
}

export interface ContextBindingResult {
  /** False when Fastify's hook store was not found: earlier hooks then run without the context. */
  boundEarlierHooks: boolean
}

/**
 * Makes every request hook, handler, error handler and not-found handler of `instance` (and of
 * its future child contexts) run in the request's context, and runs `startHook` before any other
 * onRequest hook, including those registered before the plugin.
 */
export function installContextBinding (instance: FastifyInstance, startHook: AnyFunction): ContextBindingResult {
  const store = hookStoreOf(instance)
  if (store !== undefined) {
    // Hooks registered before the plugin: this instance's (with fastify-plugin, the parent's).
    const where: HookOrigin = { origin: 'instance', pluginName: contextName(instance) }
    for (const name of REQUEST_HOOKS) store[name] = store[name].map((fn) => bindHook(name, fn, where) as AnyFunction)
    store.onRequest.unshift(startHook)
  } else {
    instance.addHook('onRequest', startHook as never)
  }

  // Hooks and handlers added from now on, here and in child contexts (they inherit these methods).
  const addHook = instance.addHook
  const setErrorHandler = instance.setErrorHandler
  const setNotFoundHandler = instance.setNotFoundHandler
  instance.addHook = function addHookInRequestContext (this: FastifyInstance, name: string, fn: unknown) {
    const where: HookOrigin = { origin: 'instance', pluginName: contextName(this) }
    return Reflect.apply(addHook, this, [name, bindHook(name, fn, where)])
  } as typeof instance.addHook
  instance.setErrorHandler = function setErrorHandlerInRequestContext (this: FastifyInstance, handler: unknown) {
    return Reflect.apply(setErrorHandler, this, [
      typeof handler === 'function' ? bindErrorHandler(handler as AnyFunction, contextName(this)) : handler
    ])
  } as typeof instance.setErrorHandler
  instance.setNotFoundHandler = function setNotFoundHandlerInRequestContext (
    this: FastifyInstance,
    ...args: unknown[]
  ) {
    const pluginName = contextName(this)
    const bound = args.map((arg) => {
      if (typeof arg === 'function') return bindHandler(arg as AnyFunction, 'notFoundHandler', pluginName, undefined)
      if (arg !== null && typeof arg === 'object') {
        const options = { ...(arg as Record<string, unknown>) }
        bindRouteHooks(options, { origin: 'not-found', pluginName })
        return options
      }
      return arg
    })
    return Reflect.apply(setNotFoundHandler, this, bound)
  } as typeof instance.setNotFoundHandler

  instance.addHook('onRoute', function bindRoute (this: FastifyInstance, route: RouteOptions) {
    const pluginName = contextName(this)
    bindRouteHooks(route as unknown as Record<string, unknown>, { origin: 'route', pluginName, route: route.url })
    const handler = bindHandler(route.handler as AnyFunction, 'handler', pluginName, route.url)
    route.handler = handler as RouteOptions['handler']
    if (typeof route.errorHandler === 'function') {
      const errorHandler = bindErrorHandler(route.errorHandler as AnyFunction, pluginName)
      route.errorHandler = errorHandler as RouteOptions['errorHandler']
    }
  })
  return { boundEarlierHooks: store !== undefined }
}

/**
 * The name of the plugin context `instance` is: the plugin that made it (`fastify` for the root).
 * Fastify's `pluginName` is a chain that goes on to name every plugin registered into the context
 * with fastify-plugin so far (this one among them), so a root hook added after such a plugin would
 * be `fastify -> my-plugin` where one added before is `fastify`: one context, several names on a
 * dashboard. Only the chain's first name is kept.
 */
function contextName (instance: FastifyInstance): string | undefined {
  const chain = instance.pluginName
  if (chain === undefined) return undefined
  const end = chain.indexOf(' -> ')
  return end === -1 ? chain : chain.slice(0, end)
}

/** Marks the plugin's own hooks, which manage the context themselves, so they are never wrapped. */
export function markSelfManaged<F extends (...args: any[]) => unknown> (fn: F): F {
  ;(fn as AnyFunction)[kBound] = true
  return fn
}
