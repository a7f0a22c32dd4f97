import type { TraceState } from '@opentelemetry/api'

/** At most this many list-members (W3C Trace Context, tracestate list). */
const MAX_MEMBERS = 32
/** Vendors must propagate at least this much; longer lists are cut by whole members. */
const MAX_SERIALIZED_LENGTH = 512
/** Members longer than this are the first to go when the list must be cut. */
const LONG_MEMBER = 128
/** Keys and values are at most this long. */
const MAX_KEY_LENGTH = 256
const MAX_VALUE_LENGTH = 256
/**
 * A combined header longer than this is ignored unread. The longest valid list (32 members of a
 * 256-character key and a 256-character value) is about 16 KiB; the rest is room for optional
 * white space. The scan is linear and stops at the 33rd member or the first bad one anyway.
 */
export const MAX_TRACESTATE_HEADER_LENGTH = 32 * 1024

const COMMA = 0x2c
const EQUALS = 0x3d
const SPACE = 0x20
const TAB = 0x09

/**
 * Character classes, indexed by char code (ASCII only; anything above is in no class). The key
 * grammar is the current specification's: `key = (lcalpha / DIGIT) 0*255(keychar)` with `@` among
 * the keychars; Level 1's `tenant@vendor` form (241 + 14 characters, one `@`) is gone, so `foo@`,
 * `t@` followed by 15 characters and `a@b@c` are valid keys now. Values are printable ASCII
 * except `,` and `=`.
 */
const KEY_FIRST = 1
const KEY_CHAR = 2
const VALUE_CHAR = 4
const CLASSES = new Uint8Array(128)
for (let c = 0x20; c <= 0x7e; c++) if (c !== COMMA && c !== EQUALS) CLASSES[c] |= VALUE_CHAR
for (let c = 0x61; c <= 0x7a; c++) CLASSES[c] |= KEY_FIRST | KEY_CHAR // a-z
for (let c = 0x30; c <= 0x39; c++) CLASSES[c] |= KEY_FIRST | KEY_CHAR // 0-9
for (const c of '_-*/@') CLASSES[c.charCodeAt(0)] |= KEY_CHAR

function is (code: number, cls: number): boolean {
  // Past 127 (or NaN past the end) the table reads undefined, and `undefined & cls` is 0.
  return (CLASSES[code]! & cls) !== 0
}

/** Optional white space around list members (RFC 9110 OWS): space or tab. */
function isOws (code: number): boolean {
  return code === SPACE || code === TAB
}

export function isValidTraceStateKey (key: string): boolean {
  const length = key.length
  if (length === 0 || length > MAX_KEY_LENGTH || !is(key.charCodeAt(0), KEY_FIRST)) return false
  for (let i = 1; i < length; i++) if (!is(key.charCodeAt(i), KEY_CHAR)) return false
  return true
}

/** Up to 256 printable ASCII characters except `,` and `=`, not ending in a space. */
export function isValidTraceStateValue (value: string): boolean {
  const length = value.length
  if (length === 0 || length > MAX_VALUE_LENGTH || value.charCodeAt(length - 1) === SPACE) return false
  for (let i = 0; i < length; i++) if (!is(value.charCodeAt(i), VALUE_CHAR)) return false
  return true
}

/** Scan result: the header breaks the grammar or has more than 32 members. */
const INVALID = -1
/** Scan result bit: the header is written the way serialize writes it (no white space, no empty members). */
const PLAIN = 64

/**
 * One pass over a header, without allocating: the number of members as received, plus PLAIN
 * when the text needs no clean-up, or INVALID. Each member is checked as if its optional white
 * space had been trimmed first: a value's trailing spaces are white space, not part of it.
 */
function scan (header: string): number {
  const length = header.length
  let members = 0
  let plain = true
  let i = 0
  while (i <= length) {
    const memberStart = i
    while (i < length && isOws(header.charCodeAt(i))) i++
    if (i === length || header.charCodeAt(i) === COMMA) {
      // An empty or whitespace-only member: allowed, skipped (an empty header is no member at all).
      if (length > 0) plain = false
      i++
      continue
    }
    if (i !== memberStart) plain = false
    const keyStart = i
    if (!is(header.charCodeAt(i), KEY_FIRST)) return INVALID
    i++
    while (i < length && is(header.charCodeAt(i), KEY_CHAR)) i++
    if (i - keyStart > MAX_KEY_LENGTH || i === length || header.charCodeAt(i) !== EQUALS) return INVALID
    const valueStart = ++i
    // Spaces are value characters, tabs are not: a tab can only be trailing white space.
    while (i < length && is(header.charCodeAt(i), VALUE_CHAR)) i++
    let valueEnd = i
    while (valueEnd > valueStart && header.charCodeAt(valueEnd - 1) === SPACE) valueEnd--
    while (i < length && isOws(header.charCodeAt(i))) i++
    if (i < length && header.charCodeAt(i) !== COMMA) return INVALID
    if (valueEnd === valueStart || valueEnd - valueStart > MAX_VALUE_LENGTH) return INVALID
    if (valueEnd !== i) plain = false
    if (++members > MAX_MEMBERS) return INVALID
    i++
  }
  return plain ? members | PLAIN : members
}

type Member = readonly [key: string, value: string]

/** The members of a header that scan accepted, the first of each key only. */
function split (header: string): Member[] {
  const members: Member[] = []
  for (const field of header.split(',')) {
    const member = field.trim()
    if (member === '') continue
    const eq = member.indexOf('=')
    const key = member.slice(0, eq)
    if (!hasKey(members, key)) members.push([key, member.slice(eq + 1)])
  }
  return members
}

/**
 * An immutable `tracestate` list, parsed and written as W3C Trace Context specifies it:
 * - empty and whitespace-only list members are allowed and skipped;
 * - a member that breaks the grammar, or more than 32 members as received, discard the whole
 *   header (the processing model allows it, the W3C test harness asks for it at its strict
 *   level); the traceparent stays;
 * - a repeated key keeps the header: the first occurrence stays and later ones are discarded
 *   (the specification lets a vendor discard duplicates it did not generate). The first one,
 *   because every vendor writes its entry at the left when it updates it, so the leftmost
 *   occurrence is the most recent position of that vendor in the trace;
 * - serialized to at most 512 characters by removing whole members: those over 128 characters
 *   first (from the right), then members from the right.
 * OpenTelemetry JS's TraceState differs on each of these; docs/reference/propagation.md lists how.
 *
 * Parsing validates the whole header at once (so a bad header is refused on arrival) but splits
 * it into members only when someone asks for one: most requests pass their tracestate on
 * untouched, and then the header as received is what goes out again.
 */
export class StrictTraceState implements TraceState {
  private constructor (
    /** The header as received (validated), until the members are needed. */
    private text: string | undefined,
    private list: readonly Member[] | undefined,
    private serialized: string | undefined
  ) {}

  static readonly EMPTY = new StrictTraceState(undefined, [], '')

  /** Undefined when the header is invalid; EMPTY when it has no member. */
  static parse (header: string): StrictTraceState | undefined {
    if (header.length > MAX_TRACESTATE_HEADER_LENGTH) return undefined
    const scanned = scan(header)
    if (scanned === INVALID) return undefined
    const members = scanned & ~PLAIN
    if (members === 0) return StrictTraceState.EMPTY
    // One member written plainly and short enough is its own serialization: nothing to split.
    const serialized =
      members === 1 && (scanned & PLAIN) !== 0 && header.length <= MAX_SERIALIZED_LENGTH ? header : undefined
    return new StrictTraceState(header, undefined, serialized)
  }

  /** The same list as a StrictTraceState: itself, or another TraceState's serialization checked. */
  static from (state: TraceState): StrictTraceState | undefined {
    if (state instanceof StrictTraceState) return state
    const serialized = state.serialize()
    return typeof serialized === 'string' ? StrictTraceState.parse(serialized) : undefined
  }

  private members (): readonly Member[] {
    if (this.list === undefined) {
      this.list = split(this.text!)
      this.text = undefined
    }
    return this.list
  }

  get size (): number {
    return this.members().length
  }

  get (key: string): string | undefined {
    for (const [k, v] of this.members()) if (k === key) return v
    return undefined
  }

  /**
   * Updated or new keys move to the front, as the specification asks; beyond 32 members the
   * right-most one goes. Invalid input is ignored.
   */
  set (key: string, value: string): StrictTraceState {
    if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value)) return this
    const rest = this.members().filter(([k]) => k !== key)
    const updated: Member[] = [[key, value], ...rest]
    return new StrictTraceState(undefined, updated.slice(0, MAX_MEMBERS), undefined)
  }

  unset (key: string): StrictTraceState {
    const members = this.members()
    const rest = members.filter(([k]) => k !== key)
    return rest.length === members.length ? this : new StrictTraceState(undefined, rest, undefined)
  }

  /** At most 512 characters: long members are dropped first, then members from the right. */
  serialize (): string {
    this.serialized ??= truncate(this.members().map(([k, v]) => `${k}=${v}`)).join(',')
    return this.serialized
  }
}

function hasKey (members: readonly Member[], key: string): boolean {
  for (const [k] of members) if (k === key) return true
  return false
}

function truncate (members: string[]): string[] {
  let length = members.reduce((sum, m) => sum + m.length, 0) + Math.max(0, members.length - 1)
  while (length > MAX_SERIALIZED_LENGTH) {
    let drop = members.length - 1
    for (let i = members.length - 1; i >= 0; i--) {
      if (members[i]!.length > LONG_MEMBER) {
        drop = i
        break
      }
    }
    length -= members[drop]!.length + (members.length > 1 ? 1 : 0)
    members.splice(drop, 1)
  }
  return members
}
