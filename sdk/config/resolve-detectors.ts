import { parseList, readEnv } from './env-values.js'
import { DEFAULT_DETECTORS, DETECTOR_NAMES, DETECTOR_VARIABLE_NAMES } from './detector-names.js'
import type { DetectorName, DetectorSelection, Setting } from './options.js'
import type { Resolver } from './resolver.js'

/**
 * OTEL_NODE_RESOURCE_DETECTORS: a comma-separated list of the names above, `all` or `none`; unset,
 * the default set. A name that is not a detector is skipped with a warning, the others apply.
 */
export function resolveDetectors (r: Resolver): Setting<DetectorSelection> {
  const name = 'OTEL_NODE_RESOURCE_DETECTORS'
  const raw = readEnv(r.env, name)
  if (raw === undefined) return { value: [...DEFAULT_DETECTORS], source: 'default' }
  const listed = parseList(raw)
  const unknown = listed.filter((n) => !DETECTOR_VARIABLE_NAMES.includes(n))
  if (unknown.length > 0) {
    const one = unknown.length === 1
    r.warnings.push(
      `${name} names ${unknown.map((n) => JSON.stringify(n)).join(', ')}, which ${one ? 'is' : 'are'} not a ` +
        `resource detector (known: ${DETECTOR_VARIABLE_NAMES.join(', ')}); skipping ${one ? 'it' : 'them'}.`
    )
  }
  if (listed.includes('none')) return { value: [], source: 'env', env: name }
  if (listed.includes('all')) return { value: ['all'], source: 'env', env: name }
  const detectors = new Set<DetectorName>()
  for (const n of listed) for (const detector of DETECTOR_NAMES.get(n) ?? []) detectors.add(detector)
  return { value: [...detectors], source: 'env', env: name }
}
