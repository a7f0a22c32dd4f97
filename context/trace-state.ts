import type { TraceState } from '@opentelemetry/api'

/** At most this many list-members (W3C Trace Context, tracestate list). */
const MAX_MEMBERS = 32
/** Vendors must propagate at least this much; longer lists are cut by whole members. */
const MAX_SERIALIZED_LENGTH = 512
/** Members longer than this are the first to go when the list must be cut. */
const LONG_MEMBER = 128
/**
 * A combined header longer than this is ignored unread. The longest valid list (32 members of a
 * 256-character key and a 256-character value) is about 16 KiB; the rest is room for optional
 * white space. The scan is linear and stops at the 33rd member or the first bad one anyway.
 */
export const MAX_TRACESTATE_HEADER_LENGTH = 32 * 1024

/**
 * The key grammar of the current specification: `key = (lcalpha / DIGIT) 0*255(keychar)` with
 * `@` among the keychars. Level 1's `tenant@vendor` form (241 + 14 characters, one `@`) is gone:
 * `foo@`, `t@` followed by 15 characters and `a@b@c` are valid keys now.
 */
const KEY = /^[a-z0-9][_0-9a-z\-*/@]{0,255}$/
/** Up to 256 printable ASCII characters except `,` and `=`, not ending in a space. */
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/

/** Optional white space around list members (RFC 9110 OWS): space or tab. */
function isOws (code: number): boolean {
  return code === 0x20 || code === 0x09
}

export function isValidTraceStateKey (key: string): boolean {
  return KEY.test(key)
}

export function isValidTraceStateValue (value: string): boolean {
  return VALUE.test(value)
}

type Member = readonly [key: string, value: string]

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
 * OpenTelemetry JS's TraceState differs on each of these; the README lists how.
 */
export class StrictTraceState implements TraceState {
  private serialized: string | undefined

  private constructor (private readonly members: readonly Member[]) {}

  static readonly EMPTY = new StrictTraceState([])

  /** Undefined when the header is invalid. */
  static parse (header: string): StrictTraceState | undefined {
    if (header.length > MAX_TRACESTATE_HEADER_LENGTH) return undefined
    const members: Member[] = []
    let received = 0
    // A hand-rolled scan: this runs for every inbound request that carries a tracestate.
    let start = 0
    while (start <= header.length) {
      let end = header.indexOf(',', start)
      if (end === -1) end = header.length
      let from = start
      let to = end
      while (from < to && isOws(header.charCodeAt(from))) from++
      while (to > from && isOws(header.charCodeAt(to - 1))) to--
      if (from < to) {
        if (++received > MAX_MEMBERS) return undefined
        const eq = header.indexOf('=', from)
        if (eq <= from || eq >= to) return undefined
        const key = header.slice(from, eq)
        const value = header.slice(eq + 1, to)
        if (!KEY.test(key) || !VALUE.test(value)) return undefined
        if (!hasKey(members, key)) members.push([key, value])
      }
      start = end + 1
    }
    return members.length === 0 ? StrictTraceState.EMPTY : new StrictTraceState(members)
  }

  /** The same list as a StrictTraceState: itself, or another TraceState's serialization checked. */
  static from (state: TraceState): StrictTraceState | undefined {
    if (state instanceof StrictTraceState) return state
    const serialized = state.serialize()
    return typeof serialized === 'string' ? StrictTraceState.parse(serialized) : undefined
  }

  get size (): number {
    return this.members.length
  }

  get (key: string): string | undefined {
    for (const [k, v] of this.members) if (k === key) return v
    return undefined
  }

  /**
   * Updated or new keys move to the front, as the specification asks; beyond 32 members the
   * right-most one goes. Invalid input is ignored.
   */
  set (key: string, value: string): StrictTraceState {
    if (!KEY.test(key) || !VALUE.test(value)) return this
    const rest = this.members.filter(([k]) => k !== key)
    const updated: Member[] = [[key, value], ...rest]
    return new StrictTraceState(updated.slice(0, MAX_MEMBERS))
  }

  unset (key: string): StrictTraceState {
    const rest = this.members.filter(([k]) => k !== key)
    return rest.length === this.members.length ? this : new StrictTraceState(rest)
  }

  /** At most 512 characters: long members are dropped first, then members from the right. */
  serialize (): string {
    this.serialized ??= truncate(this.members.map(([k, v]) => `${k}=${v}`)).join(',')
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
