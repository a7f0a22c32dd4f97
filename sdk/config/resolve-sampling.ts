import type { Sampler } from '@opentelemetry/sdk-trace'
import { DEFAULT_SAMPLER, DEFAULT_SAMPLING_RATIO, SAMPLER_NAMES } from './defaults.js'
import { type Parsed, parseEnum, parseRatio, readEnv } from './env-values.js'
import type { SamplerName, SdkOptions, Setting } from './options.js'
import type { Resolver } from './resolver.js'
import { optionalEnum, optionalRatio } from './validate.js'

/** Whether the sampler reads the ratio (`samplingRatio`, OTEL_TRACES_SAMPLER_ARG). */
export function takesRatio (sampler: SamplerName | 'custom'): boolean {
  return sampler === 'traceidratio' || sampler === 'parentbased_traceidratio'
}

/**
 * OTEL_TRACES_SAMPLER_ARG set beside a sampler that takes no argument: nothing acts on it (an
 * operator who meant 1 % gets every trace), so it is named with the variables nothing acts on.
 */
export function unusedSamplerArgument (
  env: NodeJS.ProcessEnv,
  sampler: Setting<SamplerName | 'custom'>
): { name: string; reason: string } | undefined {
  if (readEnv(env, 'OTEL_TRACES_SAMPLER_ARG') === undefined || takesRatio(sampler.value)) return undefined
  return {
    name: 'OTEL_TRACES_SAMPLER_ARG',
    reason:
      `the sampler (${sampler.value === 'custom' ? 'an instance in the options' : sampler.value}) takes no ratio: ` +
      'set OTEL_TRACES_SAMPLER=parentbased_traceidratio (or traceidratio) to sample by ratio'
  }
}

/** The sampler (a specification name or the user's instance) and its ratio. */
export function resolveSampling (
  r: Resolver,
  options: SdkOptions
): { sampler: Setting<SamplerName | 'custom'>; samplingRatio: Setting<number>; instance: Sampler | undefined } {
  let optionSampler: SamplerName | 'custom' | undefined
  let instance: Sampler | undefined
  if (
    options.sampler !== undefined &&
    typeof options.sampler === 'object' &&
    options.sampler !== null &&
    typeof (options.sampler as Sampler).shouldSample === 'function'
  ) {
    optionSampler = 'custom'
    instance = options.sampler as Sampler
  } else {
    optionSampler = optionalEnum('sampler', options.sampler, SAMPLER_NAMES)
  }
  const sampler = r.setting<SamplerName | 'custom'>(
    'sampler',
    optionSampler,
    ['OTEL_TRACES_SAMPLER'],
    parseSamplerName,
    DEFAULT_SAMPLER,
    String
  )
  const ratioOption = optionalRatio('samplingRatio', options.samplingRatio)
  const samplingRatio = r.setting(
    'samplingRatio',
    ratioOption,
    ['OTEL_TRACES_SAMPLER_ARG'],
    parseRatio,
    DEFAULT_SAMPLING_RATIO,
    String
  )
  if (ratioOption !== undefined && !takesRatio(sampler.value)) {
    r.warnings.push(
      `samplingRatio ${ratioOption} has no effect with sampler ${sampler.value}: ` +
        'use sampler "parentbased_traceidratio" (or "traceidratio") to sample by ratio.'
    )
  }
  return { sampler, samplingRatio, instance: sampler.value === 'custom' ? instance : undefined }
}

function parseSamplerName (raw: string): Parsed<SamplerName> {
  const lower = raw.toLowerCase()
  if (['jaeger_remote', 'parentbased_jaeger_remote', 'xray'].includes(lower)) {
    return {
      ok: false,
      reason: 'a valid specification value that this plugin does not support; pass a Sampler instance as option sampler'
    }
  }
  return parseEnum(raw, SAMPLER_NAMES)
}
