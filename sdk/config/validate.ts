import type { Attributes } from '@opentelemetry/api'
import { describeReceived, invalidOption, invalidOptionDescribed, unknownOption } from '../errors.js'

/**
 * Validators for plugin options. Each throws FOK_ERR_INVALID_OPTION naming the option, what it
 * must be and what was received, so a typo fails at registration instead of at 3 a.m.
 */

export function optionalString (key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '') throw invalidOption(key, 'a non-empty string', value)
  return value
}

/**
 * What a TLS setting holds when the file's content was given instead of its path (a Kubernetes
 * secret's value where its mount path belongs): PEM armour or a line break, which no usable path
 * has, or more than a path's length. Such a value may be a private key, so it is never shown.
 */
export function looksLikePemContent (value: string): boolean {
  return value.includes('-----BEGIN') || value.includes('\n') || value.length > 1024
}

/**
 * A TLS file's path as messages show it: as written when it cannot be key material, else not at
 * all. A key's base64 body pasted on one line, or a whole PEM base64-encoded (a Kubernetes secret's
 * data), passes for a path (it may even hold slashes); a run of 40 base64 characters without one is
 * in no ordinary path (a container's 64-hex id is, and is hidden too: less help, no leak).
 */
export function shownTlsPath (value: string): string {
  return value.length > 255 || /[A-Za-z0-9+=]{40,}/.test(value) ? 'a path not shown (it may be key material)' : JSON.stringify(value)
}

export const PEM_CONTENT_REASON =
  'it holds what looks like the PEM content itself (not shown), not the path of a file: give the path of the file'

/** A TLS file's path: a non-empty string that is not the file's content. */
export function optionalFilePath (key: string, value: unknown): string | undefined {
  const path = optionalString(key, value)
  if (path !== undefined && looksLikePemContent(path)) {
    throw invalidOptionDescribed(key, 'the path of a PEM file', 'what looks like the PEM content itself (not shown)')
  }
  return path
}

export function optionalBoolean (key: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw invalidOption(key, 'true or false', value)
  return value
}

export function optionalPositiveInteger (key: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalidOption(key, 'a positive integer', value)
  }
  return value
}

export function optionalRatio (key: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw invalidOption(key, 'a number from 0 to 1', value)
  }
  return value
}

export function optionalEnum<T extends string> (key: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidOption(key, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value)
  }
  return value as T
}

export function optionalFunction<F extends (...args: never[]) => unknown> (key: string, value: unknown): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw invalidOption(key, 'a function', value)
  return value as F
}

export function optionalStringArray (key: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw invalidOption(key, 'an array of strings', value)
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item === '') throw invalidOption(`${key}[${i}]`, 'a non-empty string', item)
  })
  return value as string[]
}

export function optionalPlainObject (key: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  if (!isPlainObject(value)) throw invalidOption(key, 'an object', value)
  return value
}

/** OpenTelemetry attribute values: strings, numbers, booleans, or homogeneous arrays of them. */
export function optionalAttributes (key: string, value: unknown): Attributes | undefined {
  const record = optionalPlainObject(key, value)
  if (record === undefined) return undefined
  for (const [name, attr] of Object.entries(record)) {
    if (!isAttributeValue(attr)) {
      throw invalidOption(`${key}.${name}`, 'a string, number, boolean or an array of one of those', attr)
    }
  }
  return record as Attributes
}

/**
 * gRPC metadata: keys of lower-case letters, digits and `-_.`, printable ASCII values. grpc-js
 * would otherwise throw on the first export, long after startup.
 */
export function optionalHeaders (key: string, value: unknown): Record<string, string> | undefined {
  const record = optionalPlainObject(key, value)
  if (record === undefined) return undefined
  const out: Record<string, string> = {}
  for (const [name, headerValue] of Object.entries(record)) {
    const lower = name.toLowerCase()
    if (!isValidHeaderName(lower)) {
      throw invalidOption(`${key}`, 'header names of letters, digits, "-", "_" or "."', name)
    }
    if (isConnectionHeader(lower)) {
      throw invalidOption(
        `${key}`,
        `header names gRPC can send (HTTP/2 forbids the connection headers ${[...CONNECTION_HEADERS].join(', ')})`,
        name
      )
    }
    if (typeof headerValue !== 'string' || !isValidHeaderValue(headerValue)) {
      // The value may be a secret: say what is wrong without echoing it.
      throw invalidOptionDescribed(
        `${key}.${name}`,
        'a string of printable ASCII characters',
        typeof headerValue === 'string' ? 'a string with other characters (not shown)' : describeReceived(headerValue)
      )
    }
    out[lower] = headerValue
  }
  return out
}

export function isValidHeaderName (name: string): boolean {
  return /^[0-9a-z_.-]+$/.test(name) && !name.endsWith('-bin')
}

/**
 * HTTP/1 connection headers, which HTTP/2 forbids (RFC 9113, 8.2.2): Node's http2 refuses the
 * request and grpc-js retries it at once, in a tight loop until the export deadline.
 */
const CONNECTION_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings'
])

export function isConnectionHeader (lowerCaseName: string): boolean {
  return CONNECTION_HEADERS.has(lowerCaseName)
}

export function isValidHeaderValue (value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value)
}

/** Rejects keys the plugin does not know, with the closest known key as a hint. */
export function rejectUnknownKeys (prefix: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const full = prefix === '' ? key : `${prefix}.${key}`
      const suggestion = closest(key, known)
      throw unknownOption(
        full,
        suggestion === undefined ? undefined : prefix === '' ? suggestion : `${prefix}.${suggestion}`
      )
    }
  }
}

export function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function isAttributeValue (value: unknown): boolean {
  if (isPrimitiveAttribute(value)) return true
  if (!Array.isArray(value)) return false
  let type: string | undefined
  for (const item of value) {
    if (item === null || item === undefined) continue
    if (!isPrimitiveAttribute(item)) return false
    const itemType = typeof item
    type ??= itemType
    if (itemType !== type) return false
  }
  return true
}

function isPrimitiveAttribute (value: unknown): boolean {
  return (
    typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
  )
}

/** The known key within edit distance 3, or that the key abbreviates (case-insensitive), if any. */
export function closest (key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 4
  for (const candidate of known) {
    const lowerKey = key.toLowerCase()
    const lowerCandidate = candidate.toLowerCase()
    const d = lowerKey.length >= 3 && lowerCandidate.startsWith(lowerKey) ? 1 : editDistance(lowerKey, lowerCandidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

function editDistance (a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}
