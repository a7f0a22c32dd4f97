import type { DetectorName } from './options.js'

/** The detectors each name of the variable stands for. */
export const DETECTOR_NAMES: ReadonlyMap<string, readonly DetectorName[]> = new Map<string, readonly DetectorName[]>([
  ['host', ['host', 'os']],
  ['os', ['os']],
  ['process', ['process']],
  ['service', ['serviceinstance']],
  ['serviceinstance', ['serviceinstance']],
  ['container', ['container']],
  ['aws', ['aws']],
  ['gcp', ['gcp']],
  ['azure', ['azure']],
  ['alibaba', ['alibaba']],
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME are always read (the specification says so):
  // naming `env` adds nothing, leaving it out takes nothing away.
  ['env', []]
])

/**
 * NodeSDK's default set (`service,host,process`: service.instance.id, host.*, os.*, process.*),
 * and container.* (a cheap file read, empty outside a container).
 */
export const DEFAULT_DETECTORS: readonly DetectorName[] = Object.freeze([
  'host',
  'os',
  'process',
  'serviceinstance',
  'container'
])

/** Names written in the variable or the file (not the defaults): a missing package is reported. */
export const DETECTOR_VARIABLE_NAMES: readonly string[] = Object.freeze([...DETECTOR_NAMES.keys(), 'all', 'none'])
