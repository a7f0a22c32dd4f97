import type { FastifyInstance } from 'fastify'
import { requestInScope, timedSerialization, validationStarts } from './lifecycle-timing.js'
import type { RequestTelemetryState } from './request-telemetry-state.js'
import { kRequestTelemetry } from './symbols.js'

/**
 * Edges for Fastify's own phases: its serializers and validators, wrapped so that serialization
 * has a start and an end of its own and validation a start. Fastify compiles them per route when
 * the application becomes ready and keeps them on the route's context under private symbols; the
 * plugin wraps a route's once, on its first request, and only for routes whose lifecycle timing
 * is on. What is found is used; what a Fastify version hides is simply not timed
 * (test/fastify/fastify-internals.test.mjs holds the names to the installed Fastify).
 */

const kTimed = Symbol('fastify-otel-kit.timed')
type AnyFunction = ((...args: any[]) => unknown) & { [kTimed]?: true }

/** The route context's own symbols by description (read once per route: Fastify copies differ). */
function symbolsOf (routeContext: object): Map<string, symbol> {
  const found = new Map<string, symbol>()
  for (const symbol of Object.getOwnPropertySymbols(routeContext)) {
    if (symbol.description !== undefined) found.set(symbol.description, symbol)
  }
  return found
}

const RESPONSE_SCHEMA = 'response-schema'
const REPLY_SERIALIZER_DEFAULT = 'fastify.replySerializerDefault'
const VALIDATORS = ['params-schema', 'body-schema', 'querystring-schema', 'headers-schema'] as const

const instrumented = new WeakSet<object>()

/**
 * Wraps a route context's serializers and validators (once). Returns whether the route validates
 * its input, for naming the stretch before the handler when validation's start is not seen.
 */
export function instrumentRouteContext (routeContext: object): { validates: boolean } {
  const found = symbolsOf(routeContext)
  const slots = routeContext as Record<symbol, unknown>
  let validates = false
  for (const name of VALIDATORS) {
    const symbol = found.get(name)
    if (symbol !== undefined && slots[symbol] !== undefined && slots[symbol] !== null) validates = true
  }
  if (instrumented.has(routeContext)) return { validates }
  instrumented.add(routeContext)

  const responses = found.get(RESPONSE_SCHEMA)
  const defaultSerializer = found.get(REPLY_SERIALIZER_DEFAULT)
  const compiled = responses === undefined ? undefined : slots[responses]
  if (compiled !== undefined && compiled !== null && typeof compiled === 'object') {
    wrapEach(compiled as Record<string, unknown>, (fn) => timedSerializer(fn, false))
  }
  if (defaultSerializer !== undefined) {
    const current = slots[defaultSerializer]
    if (typeof current === 'function') {
      slots[defaultSerializer] = timedSerializer(current as AnyFunction, false)
    } else if (compiled === undefined || compiled === null) {
      // No schema and no reply serializer: Fastify would JSON.stringify. The same, timed. (With
      // response schemas, statuses without one fall back to JSON.stringify untimed: their time
      // shows as the "response" phase when it is slow.)
      slots[defaultSerializer] = timedSerializer(function serializeJson (payload: unknown) {
        return JSON.stringify(payload)
      }, true)
    }
  }
  for (const name of VALIDATORS) {
    const symbol = found.get(name)
    const validator = symbol === undefined ? undefined : slots[symbol]
    if (typeof validator === 'function') slots[symbol!] = timedValidator(validator as AnyFunction)
    else if (validator !== null && typeof validator === 'object') {
      wrapEach(validator as Record<string, unknown>, timedValidator)
    }
  }
  return { validates }
}

/** Functions in an object (by status, or by media type one level down) wrapped in place. */
function wrapEach (holder: Record<string, unknown>, wrap: (fn: AnyFunction) => AnyFunction): void {
  for (const key of Object.keys(holder)) {
    const value = holder[key]
    if (typeof value === 'function') holder[key] = wrap(value as AnyFunction)
    else if (value !== null && typeof value === 'object' && (value as object).constructor === Object) {
      wrapEach(value as Record<string, unknown>, wrap)
    }
  }
}

function timedSerializer (fn: AnyFunction, plainJson: boolean): AnyFunction {
  if (fn[kTimed] === true) return fn
  const timed: AnyFunction = function (this: unknown, payload: unknown, statusCode: unknown) {
    return timedSerialization(fn, this, payload, statusCode, plainJson)
  }
  Object.defineProperty(timed, 'name', { value: fn.name })
  timed[kTimed] = true
  return timed
}

/**
 * A validator that marks where validation starts. Fastify passes Ajv's validators the request as
 * `parentData` (and reads their `schemaEnv` to know it may); other compilers' validators get the
 * data alone, and the request in scope is used. Fastify reads the validator's `errors` after a
 * call: the wrapper forwards them.
 */
function timedValidator (fn: AnyFunction): AnyFunction {
  if (fn[kTimed] === true) return fn
  const timed: AnyFunction = function (this: unknown, data: unknown, dataContext?: { parentData?: unknown }) {
    const request = dataContext?.parentData as { [kRequestTelemetry]?: RequestTelemetryState | null } | undefined
    const t = request?.[kRequestTelemetry] ?? requestInScope()
    if (t !== undefined && t !== null && t.timing !== null) validationStarts(t)
    return dataContext === undefined ? fn.call(this, data) : fn.call(this, data, dataContext)
  }
  for (const key of Object.keys(fn)) {
    if (key === 'errors') continue
    ;(timed as unknown as Record<string, unknown>)[key] = (fn as unknown as Record<string, unknown>)[key]
  }
  Object.defineProperty(timed, 'errors', {
    get: () => (fn as { errors?: unknown }).errors,
    set: (value) => {
      ;(fn as { errors?: unknown }).errors = value
    }
  })
  Object.defineProperty(timed, 'name', { value: fn.name })
  timed[kTimed] = true
  return timed
}

/** Prototypes whose `serializer` the plugin replaced, with the number of plugin instances relying on it. */
const replaced = new Map<Record<string, unknown>, { original: unknown; users: number }>()

/**
 * `reply.serializer(fn)` sets a serializer for one reply: the function it is given is timed.
 * Fastify builds a Reply class per application but lets an undecorated one fall back to its
 * parent's, so replies are usually instances of the Reply class of the fastify module itself:
 * the method is replaced where the prototype chain defines it, and put back when the last plugin
 * instance relying on it closes. In an application without the plugin it only passes the function on.
 * Returns the undo.
 */
export function timeReplySerializers (instance: FastifyInstance): () => void {
  const symbol = Object.getOwnPropertySymbols(instance).find((s) => s.description === 'fastify.Reply')
  const Reply = symbol === undefined ? undefined : (instance as unknown as Record<symbol, unknown>)[symbol]
  let prototype = (Reply as { prototype?: Record<string, unknown> } | undefined)?.prototype
  const hasOwn = (object: object): boolean => Object.prototype.hasOwnProperty.call(object, 'serializer')
  while (prototype !== undefined && prototype !== null && !hasOwn(prototype)) {
    prototype = Object.getPrototypeOf(prototype) as Record<string, unknown> | undefined
  }
  if (prototype === undefined || prototype === null || typeof prototype.serializer !== 'function') return () => {}
  const owner = prototype
  let entry = replaced.get(owner)
  if (entry === undefined) {
    const original = owner.serializer as AnyFunction
    const serializer: AnyFunction = function (this: unknown, fn: unknown) {
      return original.call(this, typeof fn === 'function' ? timedSerializer(fn as AnyFunction, false) : fn)
    }
    Object.defineProperty(owner, 'serializer', { value: serializer, writable: true, configurable: true })
    entry = { original, users: 0 }
    replaced.set(owner, entry)
  }
  entry.users++
  let undone = false
  return () => {
    if (undone) return
    undone = true
    if (--entry.users > 0) return
    replaced.delete(owner)
    Object.defineProperty(owner, 'serializer', { value: entry.original, writable: true, configurable: true })
  }
}
