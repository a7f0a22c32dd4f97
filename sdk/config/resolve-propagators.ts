import type { TextMapPropagator } from '@opentelemetry/api'
import { conflictingOptions, invalidOption } from '../errors.js'
import { DEFAULT_PROPAGATORS, PROPAGATOR_NAMES } from './defaults.js'
import { type Parsed, parseList } from './env-values.js'
import type { PropagatorName, SdkOptions, Setting } from './options.js'
import type { Resolver } from './resolver.js'
import { optionalEnum } from './validate.js'

/** The propagators by name (OTEL_PROPAGATORS wins), or the user's own instance. */
export function resolvePropagators (
  r: Resolver,
  options: SdkOptions
): { propagators: Setting<PropagatorName[] | ['custom']>; instance: TextMapPropagator | undefined } {
  let optionValue: PropagatorName[] | ['custom'] | undefined
  let instance: TextMapPropagator | undefined
  if (options.propagator !== undefined) {
    const p = options.propagator as unknown as Partial<TextMapPropagator> | null
    if (
      p === null ||
      typeof p !== 'object' ||
      typeof p.inject !== 'function' ||
      typeof p.extract !== 'function' ||
      typeof p.fields !== 'function'
    ) {
      throw invalidOption('propagator', 'a TextMapPropagator (inject, extract and fields methods)', options.propagator)
    }
    if (options.propagators !== undefined) {
      throw conflictingOptions('set either option propagator (an instance) or propagators (names), not both.')
    }
    instance = p as TextMapPropagator
    optionValue = ['custom']
  } else if (options.propagators !== undefined) {
    optionValue = validatePropagatorNames(options.propagators)
  }
  const skipped: string[] = []
  const propagators = r.setting<PropagatorName[] | ['custom']>(
    'propagators',
    optionValue,
    ['OTEL_PROPAGATORS'],
    (raw) => parsePropagatorList(raw, skipped),
    [...DEFAULT_PROPAGATORS],
    (v) => v.join(',')
  )
  if (skipped.length > 0 && propagators.source === 'env') {
    // The specification: unknown entries are skipped with a warning, the known ones still apply.
    r.warnings.push(
      `OTEL_PROPAGATORS names ${skipped.map((u) => JSON.stringify(u)).join(', ')}, ` +
        `which this package does not support (supported: ${PROPAGATOR_NAMES.join(', ')}); ` +
        `skipping ${skipped.length === 1 ? 'it' : 'them'} and using ${propagators.value.join(',')}.`
    )
  }
  return { propagators, instance: propagators.source === 'options' ? instance : undefined }
}

function validatePropagatorNames (value: unknown): PropagatorName[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidOption(
      'propagators',
      `a non-empty array of ${PROPAGATOR_NAMES.map((n) => JSON.stringify(n)).join(', ')}`,
      value
    )
  }
  const names = value.map((item, i) => optionalEnum(`propagators[${i}]`, item, PROPAGATOR_NAMES) as PropagatorName)
  if (names.includes('none') && names.length > 1) {
    throw invalidOption('propagators', '["none"] alone, or a list without "none"', value)
  }
  return [...new Set(names)]
}

/** The known names of the list, in order; unknown ones go to `skipped`. Invalid when none is known. */
function parsePropagatorList (raw: string, skipped: string[]): Parsed<PropagatorName[]> {
  const all = parseList(raw)
  const names = all.filter((n) => (PROPAGATOR_NAMES as readonly string[]).includes(n))
  skipped.push(...all.filter((n) => !(PROPAGATOR_NAMES as readonly string[]).includes(n)))
  if (names.length === 0) {
    return {
      ok: false,
      reason: all.length === 0 ? 'empty list' : `no supported propagator (supported: ${PROPAGATOR_NAMES.join(', ')})`
    }
  }
  // "none" next to real propagators is contradictory; the real ones are what the operator wants.
  const real = names.filter((n) => n !== 'none')
  return { ok: true, value: [...new Set(real.length > 0 ? real : names)] as PropagatorName[] }
}
