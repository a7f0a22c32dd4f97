/**
 * Parsers for `OTEL_*` environment values. Each returns `{ ok: false, reason }` instead of throwing:
 * OpenTelemetry's rule is that a bad environment value is warned about and ignored, never fatal.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string }

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value })
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason })

/** An unset or blank variable counts as unset, as the specification says. */
export function readEnv (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]
  if (raw === undefined) return undefined
  const trimmed = raw.trim()
  return trimmed === '' ? undefined : trimmed
}

export function parseBoolean (raw: string): Parsed<boolean> {
  const lower = raw.toLowerCase()
  if (lower === 'true') return ok(true)
  if (lower === 'false') return ok(false)
  return bad('expected true or false')
}

export function parsePositiveInteger (raw: string): Parsed<number> {
  if (!/^\d+$/.test(raw)) return bad('expected a positive integer')
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value <= 0) return bad('expected a positive integer')
  return ok(value)
}

/** A count limit: 0 is allowed (OTEL_SPAN_EVENT_COUNT_LIMIT=0 keeps no events). */
export function parseNonNegativeInteger (raw: string): Parsed<number> {
  if (!/^\d+$/.test(raw)) return bad('expected a non-negative integer')
  const value = Number(raw)
  if (!Number.isSafeInteger(value)) return bad('expected a non-negative integer')
  return ok(value)
}

export function parseRatio (raw: string): Parsed<number> {
  const value = Number(raw)
  if (raw === '' || !Number.isFinite(value) || value < 0 || value > 1) return bad('expected a number from 0 to 1')
  return ok(value)
}

export function parseEnum<T extends string> (raw: string, allowed: readonly T[]): Parsed<T> {
  const lower = raw.toLowerCase()
  return (allowed as readonly string[]).includes(lower) ? ok(lower as T) : bad(`expected one of ${allowed.join(', ')}`)
}

/** A member of a `key=value,...` list that was skipped: where it is and why, never its text. */
export interface SkippedMember {
  /** 1-based, counting every comma-separated member (empty ones too), so it points into the raw value. */
  position: number
  reason: string
}

export interface KeyValueList {
  /** The members that were applied, in order (a repeated key: the later one wins). */
  entries: Array<[key: string, value: string]>
  skipped: SkippedMember[]
}

/**
 * `key=value,key2=value2` as used by OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS.
 * Values are percent-decoded. Member by member: a bad member is skipped and the others are
 * applied (the specification's rule for a bad environment value, at the finest grain the
 * format has), and `check` may reject a member for what its use requires.
 */
export function parseKeyValueList (
  raw: string,
  check?: (key: string, value: string) => string | undefined
): KeyValueList {
  const entries: Array<[string, string]> = []
  const skipped: SkippedMember[] = []
  const members = raw.split(',')
  for (let i = 0; i < members.length; i++) {
    const member = members[i]!.trim()
    if (member === '') continue
    const reason = memberProblem(member, entries, check)
    if (reason !== undefined) skipped.push({ position: i + 1, reason })
  }
  return { entries, skipped }
}

function memberProblem (
  member: string,
  entries: Array<[string, string]>,
  check: ((key: string, value: string) => string | undefined) | undefined
): string | undefined {
  const eq = member.indexOf('=')
  if (eq === -1) return 'not key=value'
  const key = member.slice(0, eq).trim()
  if (key === '') return 'empty key'
  let value: string
  try {
    value = decodeURIComponent(member.slice(eq + 1).trim())
  } catch {
    return 'invalid percent-encoding'
  }
  const problem = check?.(key, value)
  if (problem !== undefined) return problem
  entries.push([key, value])
  return undefined
}

/**
 * The warning for skipped members: the variable, each member's position and what is wrong with
 * it, and how many members were applied, so the warning says exactly what is used. The text of
 * a member is never shown: a member without `=` may well be a secret pasted in the wrong place.
 */
export function skippedMembersWarning (name: string, list: KeyValueList): string {
  const shown = list.skipped.slice(0, 10).map((m) => `member ${m.position} (${m.reason})`)
  const more = list.skipped.length > 10 ? ` and ${list.skipped.length - 10} more` : ''
  const applied =
    list.entries.length === 0
      ? 'no member of it is applied'
      : `the other ${list.entries.length === 1 ? 'member is' : `${list.entries.length} members are`} applied`
  return `${name}: skipping ${shown.join(', ')}${more}; ${applied}. Member text is never shown.`
}

/** Comma-separated names, lower-cased, empties dropped. */
export function parseList (raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '')
}

/** A method name as HTTP allows it (a token: RFC 9110, section 5.6.2). */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * HTTP methods, comma-separated, case kept (the semantic conventions' known-methods override):
 * the whole value is refused when a member is not a method name.
 */
export function parseHttpMethods (raw: string): Parsed<string[]> {
  const methods = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  const wrong = methods.findIndex((method) => !HTTP_TOKEN.test(method))
  if (wrong !== -1) return bad(`member ${wrong + 1} is not an HTTP method name`)
  if (methods.length === 0) return bad('it names no method')
  return ok([...new Set(methods)])
}
