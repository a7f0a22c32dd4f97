/**
 * Parsers for `OTEL_*` environment values. Each returns `{ ok: false, reason }` instead of throwing:
 * OpenTelemetry's rule is that a bad environment value is warned about and ignored, never fatal.
 */

export type Parsed<T> = { ok: true, value: T } | { ok: false, reason: string }

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

export function parseRatio (raw: string): Parsed<number> {
  const value = Number(raw)
  if (raw === '' || !Number.isFinite(value) || value < 0 || value > 1) return bad('expected a number from 0 to 1')
  return ok(value)
}

export function parseEnum<T extends string> (raw: string, allowed: readonly T[]): Parsed<T> {
  const lower = raw.toLowerCase()
  return (allowed as readonly string[]).includes(lower)
    ? ok(lower as T)
    : bad(`expected one of ${allowed.join(', ')}`)
}

/**
 * `key=value,key2=value2` as used by OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS.
 * Values are percent-decoded. A malformed member invalidates the whole value, because applying
 * half of a header list (say, without the API key) is worse than applying none.
 */
export function parseKeyValueList (raw: string): Parsed<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const member of raw.split(',')) {
    const trimmed = member.trim()
    if (trimmed === '') continue
    const eq = trimmed.indexOf('=')
    if (eq <= 0) return bad(`member ${JSON.stringify(redactMember(trimmed))} is not key=value`)
    const key = trimmed.slice(0, eq).trim()
    const rawValue = trimmed.slice(eq + 1).trim()
    let value: string
    try {
      value = decodeURIComponent(rawValue)
    } catch {
      return bad(`the value of ${JSON.stringify(key)} is not valid percent-encoding`)
    }
    out[key] = value
  }
  return ok(out)
}

/** Comma-separated names, lower-cased, empties dropped. */
export function parseList (raw: string): string[] {
  return raw.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '')
}

/** Shows only the key of a malformed member: the value may be a secret. */
function redactMember (member: string): string {
  const eq = member.indexOf('=')
  return eq > 0 ? `${member.slice(0, eq)}=...` : member.slice(0, 20)
}
