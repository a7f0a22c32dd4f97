import {
  type DetectedResource,
  hostDetector,
  osDetector,
  processDetector,
  type ResourceDetector,
  serviceInstanceIdDetector
} from '@opentelemetry/resources'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { DetectorName, DetectorSelection, Setting } from '../config/options.js'

/**
 * process.* without `process.command_args`: a command line is where people put tokens
 * (`--api-key=...`), and the resource goes with every span to the backend. Upstream's detector
 * sends it; this package does not (docs/internals/decisions.md).
 */
export const processWithoutArguments: ResourceDetector = {
  detect (config): DetectedResource {
    const detected = processDetector.detect(config)
    const attributes = { ...detected.attributes }
    delete attributes['process.command_args']
    return { attributes }
  }
}

/** The packages that hold the detectors not in @opentelemetry/resources, loaded when installed. */
const PACKAGES: Readonly<Partial<Record<DetectorName, string>>> = {
  container: '@opentelemetry/resource-detector-container',
  aws: '@opentelemetry/resource-detector-aws',
  gcp: '@opentelemetry/resource-detector-gcp',
  azure: '@opentelemetry/resource-detector-azure',
  alibaba: '@opentelemetry/resource-detector-alibaba-cloud'
}

const BUILT_IN: Readonly<Partial<Record<DetectorName, ResourceDetector>>> = {
  host: hostDetector,
  os: osDetector,
  process: processWithoutArguments,
  serviceinstance: serviceInstanceIdDetector
}

const ALL: readonly DetectorName[] = [
  'host',
  'os',
  'process',
  'serviceinstance',
  'container',
  'aws',
  'gcp',
  'azure',
  'alibaba'
]

export interface Detectors {
  detectors: ResourceDetector[]
  /** Detectors whose package is not installed (reported only for names the user wrote). */
  missing: Array<{ name: DetectorName; pkg: string }>
}

/**
 * The detectors of a selection. A package detector the user named (in OTEL_NODE_RESOURCE_DETECTORS
 * or the configuration file) whose package is not installed is returned as missing, to be reported
 * once; one that only the defaults or `all` asked for is left out quietly. The application's
 * installation is looked up first, then this package's own (the container detector is a
 * dependency of it: an optional one would be left out by npm wherever its engines do not match).
 */
export function loadDetectors (
  selection: Setting<DetectorSelection>,
  applicationDirectory: string = process.cwd()
): Detectors {
  const all = selection.value[0] === 'all'
  const names = all ? ALL : (selection.value as DetectorName[])
  const quiet = all || selection.source === 'default'
  const requires = [createRequire(join(applicationDirectory, 'package.json')), createRequire(__filename)]
  const out: Detectors = { detectors: [], missing: [] }
  for (const name of names) {
    const builtIn = BUILT_IN[name]
    if (builtIn !== undefined) {
      out.detectors.push(builtIn)
      continue
    }
    const pkg = PACKAGES[name]!
    const exports = requireFirst(requires, pkg)
    const found = exports === undefined ? [] : detectorsIn(exports)
    if (found.length === 0) {
      if (!quiet) out.missing.push({ name, pkg })
      continue
    }
    out.detectors.push(...found)
  }
  return out
}

/** The report for a missing detector package: what to install, or what to remove. */
export function missingDetectorWarning ({ name, pkg }: { name: DetectorName; pkg: string }, where: string): string {
  return `resource detector "${name}" is not available: \`npm install ${pkg}\` (a version on ` +
    `@opentelemetry/resources 3, the line this package is on), or remove "${name}" from ${where}. ` +
    'The other detectors apply.'
}

function requireFirst (requires: NodeRequire[], pkg: string): Record<string, unknown> | undefined {
  for (const load of requires) {
    try {
      return load(pkg) as Record<string, unknown>
    } catch {
      // Not installed here, or installed for another line of the SDK and failing to load: either
      // way it cannot detect anything, and the resource is built without it.
    }
  }
  return undefined
}

/** Every exported detector of a package (the AWS one has one per service: EC2, ECS, EKS...). */
function detectorsIn (exports: Record<string, unknown>): ResourceDetector[] {
  const found: ResourceDetector[] = []
  for (const [name, value] of Object.entries(exports)) {
    if (
      name.endsWith('Detector') &&
      value !== null &&
      typeof value === 'object' &&
      typeof (value as ResourceDetector).detect === 'function'
    ) {
      found.push(value as ResourceDetector)
    }
  }
  return found
}
