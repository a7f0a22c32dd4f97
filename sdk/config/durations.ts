import { invalidOption } from '../errors.js'
import type { ConfigWarning } from './config-warning.js'
import type { Parsed } from './env-values.js'
import type { Setting } from './options.js'
import type { Resolver } from './resolver.js'

/**
 * The longest delay a Node timer holds: 2^31 - 1 ms, about 24.8 days. Node turns a longer one into
 * 1 ms (with only a TimeoutOverflowWarning), so an "effectively infinite" export timeout would fail
 * every export at once and a shutdown bound would flush nothing.
 */
export const MAX_TIMER_MILLIS = 2 ** 31 - 1

/**
 * A duration the runtime can hold: `value` as is, or MAX_TIMER_MILLIS with a warning that names
 * where the value came from (`where`: a variable, an option, a key of the configuration file).
 * For every source of durations, the configuration file's included.
 */
export function clampDuration (value: number, where: string): { value: number; warning?: ConfigWarning } {
  if (value <= MAX_TIMER_MILLIS) return { value }
  return {
    value: MAX_TIMER_MILLIS,
    warning: {
      code: 'FOK_WARN_DURATION_CLAMPED',
      message:
        `${where} is ${Number.isFinite(value) ? `${value} ms` : 'infinite'}, ` +
        'more than a Node timer holds (2^31 - 1 ms, about 24.8 days); ' +
        `using ${MAX_TIMER_MILLIS} ms. Node would have turned it into 1 ms.`
    }
  }
}

/** A duration from a variable: a positive whole number of ms, however large (clamped after). */
export function parseDurationMillis (raw: string): Parsed<number> {
  if (!/^\d+$/.test(raw)) return { ok: false, reason: 'expected a positive integer' }
  const value = Number(raw)
  if (value <= 0) return { ok: false, reason: 'expected a positive integer' }
  return { ok: true, value }
}

/** A duration option: a positive integer, or Infinity ("never"), which is clamped. */
export function optionalDuration (key: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (value === Infinity) return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw invalidOption(key, 'a positive integer', value)
  }
  return value
}

/**
 * One duration setting: the environment (`envNames`, first valid), else the option, else the
 * default, each clamped to what a timer holds with a coded warning.
 */
export function resolveDuration (
  r: Resolver,
  key: string,
  optionValue: unknown,
  envNames: readonly string[],
  fallback: number
): Setting<number> {
  const setting = r.setting(key, optionalDuration(key, optionValue), envNames, parseDurationMillis, fallback, String)
  return clampSetting(r, key, setting)
}

/** Clamps a resolved duration, naming the variable or the option it came from. */
export function clampSetting (r: Resolver, key: string, setting: Setting<number>): Setting<number> {
  const where = setting.source === 'env' ? setting.env! : `option ${key}`
  const clamped = clampDuration(setting.value, where)
  if (clamped.warning === undefined) return setting
  r.warn(clamped.warning)
  return { ...setting, value: clamped.value }
}
