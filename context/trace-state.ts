import type { TraceState } from '@opentelemetry/api'

/** W3C Trace Context limits. */
const MAX_MEMBERS = 32
/** Vendors must propagate at least this much; longer lists are cut by whole members. */
const MAX_SERIALIZED_LENGTH = 512
/** Members longer than this are the first to go when the list must be cut (W3C 3.3.1.5). */
const LONG_MEMBER = 128

const SIMPLE_KEY = /^[a-z0-9][_0-9a-z\-*/]{0,255}$/
const TENANT_KEY = /^[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13}$/
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/

/** Optional white space around list members: space or tab. */
function isOws (code: number): boolean {
  return code === 0x20 || code === 0x09
}

export function isValidTraceStateKey (key: string): boolean {
  return SIMPLE_KEY.test(key) || TENANT_KEY.test(key)
}

export function isValidTraceStateValue (value: string): boolean {
  return VALUE.test(value)
}

/**
 * An immutable `tracestate` list. Parsing is strict as the specification asks: one invalid
 * member, a duplicated key or more than 32 members discard the whole header (the traceparent
 * stays). OpenTelemetry JS's own TraceState skips bad members instead.
 */
export class StrictTraceState implements TraceState {
  private constructor (private readonly members: ReadonlyArray<readonly [string, string]>) {}

  static readonly EMPTY = new StrictTraceState([])

  /** Undefined when the header is invalid. */
  static parse (header: string): StrictTraceState | undefined {
    const members: Array<[string, string]> = []
    // A hand-rolled scan: this runs for every inbound request that carries a tracestate.
    let start = 0
    while (start <= header.length) {
      let end = header.indexOf(',', start)
      if (end === -1) end = header.length
      let from = start
      let to = end
      while (from < to && isOws(header.charCodeAt(from))) from++
      while (to > from && isOws(header.charCodeAt(to - 1))) to--
      if (from < to) { // empty list members are allowed and ignored
        const eq = header.indexOf('=', from)
        if (eq <= from || eq >= to) return undefined
        const key = header.slice(from, eq)
        const value = header.slice(eq + 1, to)
        if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value)) return undefined
        for (const [seen] of members) if (seen === key) return undefined
        members.push([key, value])
        if (members.length > MAX_MEMBERS) return undefined
      }
      start = end + 1
    }
    return new StrictTraceState(members)
  }

  get size (): number {
    return this.members.length
  }

  get (key: string): string | undefined {
    return this.members.find(([k]) => k === key)?.[1]
  }

  /** Updated or new keys move to the front, as the specification asks. Invalid input is ignored. */
  set (key: string, value: string): StrictTraceState {
    if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value)) return this
    const rest = this.members.filter(([k]) => k !== key)
    const updated: ReadonlyArray<readonly [string, string]> = [[key, value], ...rest]
    return new StrictTraceState(updated.slice(0, MAX_MEMBERS))
  }

  unset (key: string): StrictTraceState {
    const rest = this.members.filter(([k]) => k !== key)
    return rest.length === this.members.length ? this : new StrictTraceState(rest)
  }

  /** At most 512 characters: long members are dropped first, then members from the right. */
  serialize (): string {
    let members = this.members.map(([k, v]) => `${k}=${v}`)
    let length = serializedLength(members)
    if (length <= MAX_SERIALIZED_LENGTH) return members.join(',')
    while (length > MAX_SERIALIZED_LENGTH) {
      const longIndex = findLastIndex(members, (m) => m.length > LONG_MEMBER)
      members = longIndex >= 0 ? members.filter((_, i) => i !== longIndex) : members.slice(0, -1)
      length = serializedLength(members)
    }
    return members.join(',')
  }
}

function serializedLength (members: string[]): number {
  return members.reduce((sum, m) => sum + m.length, 0) + Math.max(0, members.length - 1)
}

function findLastIndex<T> (items: T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i]!)) return i
  return -1
}
