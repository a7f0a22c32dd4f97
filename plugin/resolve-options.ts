import type { Instrumentation } from '@opentelemetry/instrumentation'
import { constants as osConstants } from 'node:os'
import { type ConfigResolution, deepFreeze, resolveSdkConfig, SDK_OPTION_KEYS } from '../sdk/config/resolve-config.js'
import { parseHttpMethods } from '../sdk/config/env-values.js'
import { fromOption, Resolver } from '../sdk/config/resolver.js'
import type { Setting } from '../sdk/config/options.js'
import { optionalBoolean } from '../sdk/config/validate.js'
import { invalidOption } from '../sdk/errors.js'
import { DEFAULT_SIGNALS } from './defaults.js'
import { DEFAULT_KNOWN_METHODS } from './http-attributes.js'
import { type OtelPluginOptions, PLUGIN_OPTION_KEYS, type ResolvedConfig } from './options.js'
import { type RequestOptions, resolveRequestOptions } from './request-options.js'
import { resolveLifecycleOptions } from './lifecycle-options.js'

const KNOWN_OPTION_KEYS: readonly string[] = Object.freeze([...SDK_OPTION_KEYS, ...PLUGIN_OPTION_KEYS])

/**
 * Every plugin option, validated before anything global happens: the core's settings (with the
 * environment's precedence), the plugin's own, and the per-request functions and lists.
 */
export function resolvePluginOptions (
  rawOptions: unknown,
  env: NodeJS.ProcessEnv = process.env
): { resolution: ConfigResolution<ResolvedConfig>; request: RequestOptions; instrumentations: Instrumentation[] } {
  const core = resolveSdkConfig(rawOptions, env, KNOWN_OPTION_KEYS)
  const options = (rawOptions ?? {}) as OtelPluginOptions
  const config: ResolvedConfig = {
    ...core.config,
    knownHttpMethods: resolveKnownMethods(env, core.warnings),
    traceResponseHeader: fromOption(optionalBoolean('traceResponseHeader', options.traceResponseHeader), false),
    logCorrelation: fromOption(optionalBoolean('logCorrelation', options.logCorrelation), true),
    handleSignals: resolveSignals(options.handleSignals),
    ...resolveLifecycleOptions(options as Record<string, unknown>)
  }
  if (config.extractOnly.value && config.traceResponseHeader.value) {
    core.warnings.push(
      'traceResponseHeader is ignored because extractOnly is on: extract-only mode makes every injection a no-op.'
    )
  }
  const request = resolveRequestOptions(options)
  return {
    resolution: { ...core, config: deepFreeze(config) },
    request,
    instrumentations: validateInstrumentations(options.instrumentations)
  }
}

/** OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS, else the conventions' list (process-wide: no option). */
function resolveKnownMethods (env: NodeJS.ProcessEnv, warnings: string[]): Setting<string[]> {
  const r = new Resolver(env)
  const setting = r.setting(
    'knownHttpMethods',
    undefined,
    ['OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS'],
    parseHttpMethods,
    [...DEFAULT_KNOWN_METHODS],
    (methods) => JSON.stringify(methods.join(','))
  )
  warnings.push(...r.warnings)
  return setting
}

function resolveSignals (value: unknown): Setting<NodeJS.Signals[]> {
  if (value === undefined) return { value: [...DEFAULT_SIGNALS], source: 'default' }
  if (value === true) return { value: [...DEFAULT_SIGNALS], source: 'options' }
  if (value === false) return { value: [], source: 'options' }
  if (!Array.isArray(value)) throw invalidOption('handleSignals', 'true, false or an array of signal names', value)
  value.forEach((name, i) => {
    if (typeof name !== 'string' || !(name in osConstants.signals) || name === 'SIGKILL' || name === 'SIGSTOP') {
      throw invalidOption(`handleSignals[${i}]`, 'a signal name that can be caught, such as "SIGTERM"', name)
    }
  })
  return { value: [...new Set(value as NodeJS.Signals[])], source: 'options' }
}

/** Instrumentation instances: objects with enable, disable and setTracerProvider. */
function validateInstrumentations (value: unknown): Instrumentation[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw invalidOption('instrumentations', 'an array of Instrumentation instances', value)
  value.forEach((item, i) => {
    const methods = item as Record<string, unknown> | null
    if (
      methods === null ||
      typeof methods !== 'object' ||
      typeof methods.enable !== 'function' ||
      typeof methods.disable !== 'function' ||
      typeof methods.setTracerProvider !== 'function'
    ) {
      throw invalidOption(
        `instrumentations[${i}]`,
        'an Instrumentation instance (new HttpInstrumentation(), say)',
        item
      )
    }
  })
  return [...value] as Instrumentation[]
}
