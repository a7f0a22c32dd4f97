import { fromOption } from '../sdk/config/resolver.js'
import type { Setting } from '../sdk/config/options.js'
import { closest, optionalEnum, isPlainObject } from '../sdk/config/validate.js'
import { invalidOption, unknownOption } from '../sdk/errors.js'

/**
 * `off`: no hook, handler or phase spans, no blocking events. `slow` (the default): a hook, the
 * handler or one of Fastify's phases that took `slowThresholdMillis` or longer becomes a span,
 * after the fact, with its real start and end. `all`: every hook and the handler get a span,
 * active while they run (@fastify/otel's shape), and slow phases too.
 */
export type LifecycleSpans = 'off' | 'slow' | 'all'
export const LIFECYCLE_SPANS: readonly LifecycleSpans[] = Object.freeze(['off', 'slow', 'all'])

/** The defaults, written once. */
export const DEFAULT_LIFECYCLE_SPANS: LifecycleSpans = 'slow'
export const DEFAULT_SLOW_THRESHOLD_MILLIS = 10
export const DEFAULT_BLOCKING_THRESHOLD_MILLIS = 10

/** What a route may set under `config.otel` (the plugin's options of the same names, for one route). */
export interface OtelRouteOptions {
  lifecycleSpans?: LifecycleSpans
  slowThresholdMillis?: number
  blockingThresholdMillis?: number
}

/** The resolved lifecycle timing of a route (the plugin's, or the route's override). Shared, never per request. */
export interface LifecycleSettings {
  readonly mode: LifecycleSpans
  readonly slowMillis: number
  readonly blockingMillis: number
}

export interface ResolvedLifecycleConfig {
  lifecycleSpans: Setting<LifecycleSpans>
  slowThresholdMillis: Setting<number>
  blockingThresholdMillis: Setting<number>
}

function optionalMillis (key: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidOption(key, 'a number of milliseconds, 0 or more', value)
  }
  return value
}

/** The plugin-level settings, validated at registration (they have no environment variable). */
export function resolveLifecycleOptions (options: Record<string, unknown>): ResolvedLifecycleConfig {
  return {
    lifecycleSpans: fromOption(
      optionalEnum('lifecycleSpans', options.lifecycleSpans, LIFECYCLE_SPANS),
      DEFAULT_LIFECYCLE_SPANS
    ),
    slowThresholdMillis: fromOption(
      optionalMillis('slowThresholdMillis', options.slowThresholdMillis),
      DEFAULT_SLOW_THRESHOLD_MILLIS
    ),
    blockingThresholdMillis: fromOption(
      optionalMillis('blockingThresholdMillis', options.blockingThresholdMillis),
      DEFAULT_BLOCKING_THRESHOLD_MILLIS
    )
  }
}

export function lifecycleSettings (config: ResolvedLifecycleConfig): LifecycleSettings {
  return Object.freeze({
    mode: config.lifecycleSpans.value,
    slowMillis: config.slowThresholdMillis.value,
    blockingMillis: config.blockingThresholdMillis.value
  })
}

/** What a route's `config.otel` object may set here. */
const ROUTE_KEYS: readonly string[] = ['lifecycleSpans', 'slowThresholdMillis', 'blockingThresholdMillis']
/** What `@fastify/otel` reads from the same object (its span-per-hook settings). */
const FASTIFY_OTEL_ROUTE_KEYS: readonly string[] = ['instrumentHooks', 'instrumentHandler']

/**
 * A route's `config.otel` over the plugin's settings, checked when the route is added, naming the
 * route. `config.otel` is shared with @fastify/otel (its `instrumentHooks` and
 * `instrumentHandler` live there too): those are left to it, and any other key is an error.
 */
export function routeLifecycleSettings (
  base: LifecycleSettings,
  otel: unknown,
  route: string
): LifecycleSettings {
  if (!isPlainObject(otel)) return base
  const key = (name: string): string => `config.otel.${name} of route ${route}`
  // A misspelt key would leave the route on the defaults without a word. `@fastify/otel` reads its
  // own keys from the same object, and they are left to it.
  for (const name of Object.keys(otel)) {
    if (ROUTE_KEYS.includes(name) || FASTIFY_OTEL_ROUTE_KEYS.includes(name)) continue
    const suggestion = closest(name, ROUTE_KEYS)
    throw unknownOption(key(name), suggestion === undefined ? undefined : key(suggestion))
  }
  const mode = optionalEnum(key('lifecycleSpans'), otel.lifecycleSpans, LIFECYCLE_SPANS)
  const slowMillis = optionalMillis(key('slowThresholdMillis'), otel.slowThresholdMillis)
  const blockingMillis = optionalMillis(key('blockingThresholdMillis'), otel.blockingThresholdMillis)
  if (mode === undefined && slowMillis === undefined && blockingMillis === undefined) return base
  return Object.freeze({
    mode: mode ?? base.mode,
    slowMillis: slowMillis ?? base.slowMillis,
    blockingMillis: blockingMillis ?? base.blockingMillis
  })
}
