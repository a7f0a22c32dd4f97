import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { apiGlobals } from '../../context/api-globals.js'

/**
 * The OpenTelemetry API keeps its globals (tracer provider, context manager, propagator) on one
 * process-wide object. A copy of the API refuses to register when that object was created by
 * another version, and a copy with a newer minor ignores globals an older one registered: in both
 * cases spans silently become no-ops. This finds the situations that cause it.
 */

export interface ApiCopy {
  version: string
  /** The package's folder. */
  path: string
  /** Who resolves this copy: the application, this package, an SDK package. */
  usedBy: string[]
}

export interface ApiVersionReport {
  /** Every distinct copy that the application, this package and the SDK resolve. */
  copies: ApiCopy[]
  /** The version that created the globals object, if it exists and differs from this package's copy. */
  foreignGlobalVersion: string | undefined
  /** This package's copy (the one that registers the SDK). */
  own: ApiCopy | undefined
}

/** The packages whose API copy matters: this package and the SDK packages it assembles. */
const SDK_PACKAGES = [
  '@opentelemetry/sdk-trace',
  '@opentelemetry/sdk-logs',
  '@opentelemetry/core',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/resources'
]

/**
 * `applicationDirectory` is where the application's own dependencies resolve from (default: the
 * working directory); `mainModule` (default: the process's main module) is checked too when it
 * lives elsewhere, for a service started from another directory.
 */
export function inspectApiVersions (
  applicationDirectory: string = process.cwd(),
  mainModule: string | null = require.main?.filename ?? null
): ApiVersionReport {
  const copies = new Map<string, ApiCopy>()
  const note = (who: string, from: string): ApiCopy | undefined => {
    const path = apiPackageFolder(from)
    if (path === undefined) return undefined
    let copy = copies.get(path)
    if (copy === undefined) {
      copy = { version: versionOf(path), path, usedBy: [] }
      copies.set(path, copy)
    }
    copy.usedBy.push(who)
    return copy
  }
  note('the application', join(applicationDirectory, 'package.json'))
  if (mainModule !== null && !mainModule.startsWith(applicationDirectory)) note('the main module', mainModule)
  const own = note('fastify-otel-kit', __filename)
  for (const name of SDK_PACKAGES) {
    const entry = resolveFrom(__filename, name)
    if (entry !== undefined) note(name, entry)
  }
  const globalVersion = (apiGlobals() as { version?: unknown }).version
  return {
    copies: [...copies.values()],
    own,
    foreignGlobalVersion:
      typeof globalVersion === 'string' && globalVersion !== own?.version ? globalVersion : undefined
  }
}

/** What is wrong, with the fix, or undefined when there is one copy and no foreign globals. */
export function describeApiProblem (report: ApiVersionReport): string | undefined {
  const problems: string[] = []
  if (report.copies.length > 1) {
    const list = report.copies.map((c) => `${c.version} at ${c.path} (used by ${c.usedBy.join(', ')})`).join('; ')
    problems.push(`@opentelemetry/api is installed ${report.copies.length} times: ${list}.`)
  }
  if (report.foreignGlobalVersion !== undefined) {
    problems.push(
      `the OpenTelemetry globals of this process were created by @opentelemetry/api ${report.foreignGlobalVersion}, ` +
        `while this package uses ${report.own?.version ?? 'another version'}: ` +
        'registrations made through one copy are refused or ignored by the other.'
    )
  }
  if (problems.length === 0) return undefined
  return (
    `${problems.join(' ')} Spans made through a mismatched copy are silently dropped. ` +
    'Fix: keep a single copy of @opentelemetry/api in the application (check with `npm ls @opentelemetry/api`, ' +
    'then `npm dedupe`, or pin it with an "overrides" entry in package.json).'
  )
}

function resolveFrom (from: string, request: string): string | undefined {
  try {
    return createRequire(from).resolve(request)
  } catch {
    return undefined
  }
}

/** The folder of the @opentelemetry/api copy that a module at `from` would load. */
function apiPackageFolder (from: string): string | undefined {
  const entry = resolveFrom(from, '@opentelemetry/api')
  if (entry === undefined) return undefined
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && readName(manifest) === '@opentelemetry/api') return dir
  }
  return undefined
}

function readName (manifest: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name
  } catch {
    return undefined
  }
}

function versionOf (folder: string): string {
  try {
    return (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}
