import type { AnyValue, Attributes } from '@opentelemetry/api'
import { type PinoKeys, type PinoLineFields, UNIX_SECONDS_BELOW } from './pino-log-record.js'

/**
 * A log line's fields from what pino hands a metadata stream with the line (the merged object of
 * the call, the message, the level, the time and the logger that wrote it), without parsing the
 * line: JSON.parse is most of what exporting a line costs (about 0.5 us for a 140-character line
 * on Node 24, whatever else the record needs; docs/internals/performance.md).
 *
 * Only where the result is exactly what parsing the line would give (pino-log-record.ts,
 * `parsePinoLine`): the line must start with the level, the time and the logger's serialized
 * bindings as pino's defaults write them (so no level formatter, time key or `streamWrite` hook
 * changed them), the logger must have no `formatters.log`, nested key, redaction or serializer for
 * the call's keys, and every field of the call must be a string, a finite number or a boolean
 * under a key of its own (JSON writes and reads those back unchanged). Anything else, for example
 * Fastify's own lines with their `req` and `res` objects, returns undefined and the line is parsed.
 * test/unit/pino-metadata-fields.test.mjs compares both ways on lines a real pino logger writes.
 */

/** pino's private symbols a logger carries (found by their description: any copy of pino). */
export interface PinoInternals {
  chindings: symbol
  levelPrefixes: symbol
  nestedKey: symbol
  stringifiers: symbol
}

const SERIALIZERS = Symbol.for('pino.serializers')
const FORMATTERS = Symbol.for('pino.formatters')
const HOOKS = Symbol.for('pino.hooks')

/** What one logger writes, known once per logger (and per bindings text: `setBindings` changes it). */
interface LoggerShape {
  chindings: string
  /** Its bindings as attributes; null when the logger's lines must be parsed. */
  bindings: Attributes | null
  /**
   * The keys a call's field may not have for its line to be read without parsing: the bindings'
   * (the left-out trace fields too), those with a serializer, and those parsing treats apart.
   */
  parsedOnly: ReadonlySet<string>
  /** Whether the message has a serializer of its own. */
  serializesMessage: boolean
}

const shapes = new WeakMap<object, LoggerShape>()

/** `,"time":`, which pino's own time functions write before the time's value. */
const TIME_KEY = ',"time":'

/**
 * The fields of `line` from what pino set on the stream before writing it (`lastLogger`,
 * `lastObj`, `lastMsg`, `lastLevel`, `lastTime`: '' without a time), or undefined when the line
 * must be parsed to know them. Read at the write: the call's object may change afterwards.
 */
export function fieldsFromMetadata (
  internals: PinoInternals,
  keys: PinoKeys,
  logger: Record<symbol, unknown> | undefined,
  object: unknown,
  message: unknown,
  level: number,
  time: string,
  line: string
): PinoLineFields | undefined {
  if (logger === undefined || logger === null || (message !== undefined && typeof message !== 'string')) {
    return undefined
  }
  const shape = shapeOf(logger, internals, keys)
  const bindings = shape?.bindings
  if (bindings === undefined || bindings === null) return undefined
  if (message !== undefined && shape!.serializesMessage) return undefined
  // The time's key: pino writes the level prefix (checked with the shape), then the time.
  let timestamp: number | undefined
  if (time !== '') {
    const at = (logger[internals.levelPrefixes] as Record<number, string>)[level]?.length ?? -1
    if (!hasAt(line, TIME_KEY, at)) return undefined
    timestamp = epochMillis(time)
    if (timestamp === undefined) return undefined
  }
  const attributes: Attributes = { ...bindings }
  if (object !== null && typeof object === 'object') {
    const parsedOnly = shape!.parsedOnly
    const source = object as Record<string, unknown>
    for (const key in source) {
      if (!Object.prototype.hasOwnProperty.call(source, key)) continue
      const value = source[key]
      // pino leaves these out of the line.
      if (value === undefined || typeof value === 'function') continue
      if (!isExactInJson(value) || parsedOnly.has(key)) return undefined
      attributes[key] = value
    }
  } else if (object !== undefined && object !== null) {
    return undefined
  }
  return { body: message as AnyValue | undefined, timestamp, attributes }
}

/** Whether `text` stands in `line` at `at` (startsWith costs more than comparing characters here). */
function hasAt (line: string, text: string, at: number): boolean {
  if (at < 0 || at + text.length > line.length) return false
  for (let i = 0; i < text.length; i++) if (line.charCodeAt(at + i) !== text.charCodeAt(i)) return false
  return true
}

function shapeOf (logger: Record<symbol, unknown>, internals: PinoInternals, keys: PinoKeys): LoggerShape | undefined {
  const chindings = logger[internals.chindings]
  if (typeof chindings !== 'string') return undefined
  let shape = shapes.get(logger)
  if (shape === undefined || shape.chindings !== chindings) {
    shape = makeShape(logger, internals, keys, chindings)
    shapes.set(logger, shape)
  }
  return shape
}

function makeShape (
  logger: Record<symbol, unknown>,
  internals: PinoInternals,
  keys: PinoKeys,
  chindings: string
): LoggerShape {
  const serializers = (logger[SERIALIZERS] ?? {}) as Record<string, unknown>
  const parsed = writesCallAsIs(logger, internals) ? parseBindings(chindings, keys) : null
  const parsedOnly = new Set(['level', 'time', 'trace_id', 'span_id', 'trace_flags', '__proto__'])
  parsedOnly.add(keys.messageKey).add(keys.errorKey)
  for (const key in serializers) parsedOnly.add(key)
  for (const key of parsed?.keys ?? []) parsedOnly.add(key)
  return {
    chindings,
    bindings: parsed?.attributes ?? null,
    parsedOnly,
    serializesMessage: serializers[keys.messageKey] !== undefined
  }
}

/**
 * pino's default level prefix (`{"level":30`), and no `formatters.log`, nested key, `streamWrite`
 * hook or redaction: the call's fields are written as they are.
 */
function writesCallAsIs (logger: Record<symbol, unknown>, internals: PinoInternals): boolean {
  const formatters = logger[FORMATTERS] as { log?: unknown } | undefined
  if (formatters?.log !== undefined && formatters.log !== null) return false
  const nestedKey = logger[internals.nestedKey]
  if (nestedKey !== undefined && nestedKey !== null) return false
  const hooks = logger[HOOKS] as { streamWrite?: unknown } | undefined
  if (hooks?.streamWrite !== undefined && hooks.streamWrite !== null) return false
  const stringifiers = logger[internals.stringifiers]
  if (stringifiers === null || typeof stringifiers !== 'object') return false
  if (Reflect.ownKeys(stringifiers).length > 0) return false
  const prefixes = logger[internals.levelPrefixes]
  if (prefixes === null || typeof prefixes !== 'object') return false
  for (const level in prefixes) {
    if ((prefixes as Record<string, unknown>)[level] !== `{"level":${level}`) return false
  }
  return true
}

/** A string, or a finite number other than -0, or a boolean: written and read back by JSON unchanged. */
function isExactInJson (value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    default:
      return false
  }
}

/**
 * The serialized bindings as attributes, with the trace fields left out as parsing leaves them out.
 * Bindings that parsing would treat apart (a message, an error, a time, a level) or that do not
 * parse give null.
 */
function parseBindings (chindings: string, keys: PinoKeys): { attributes: Attributes; keys: string[] } | null {
  if (chindings === '') return { attributes: {}, keys: [] }
  let parsed: unknown
  try {
    parsed = JSON.parse(`{${chindings.slice(1)}}`)
  } catch {
    return null
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null
  const attributes: Attributes = {}
  const source = parsed as Record<string, unknown>
  for (const key in source) {
    if (key === 'level' || key === 'time' || key === '__proto__' || key === keys.messageKey || key === keys.errorKey) {
      return null
    }
    if (key !== 'trace_id' && key !== 'span_id' && key !== 'trace_flags') attributes[key] = source[key] as AnyValue
  }
  return { attributes, keys: Object.keys(source) }
}

/**
 * pino's time when written as a whole number (its default, epoch milliseconds; `unixTime`, seconds),
 * read as parsing the line reads it; undefined for any other form (an ISO string: parsed).
 */
function epochMillis (value: string): number | undefined {
  // JSON has no leading zeros: such a line does not parse, and is parsed to find that out.
  if (value.length > 15 || (value.length > 1 && value.charCodeAt(0) === 48)) return undefined
  let number = 0
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return undefined
    number = number * 10 + digit
  }
  return number < UNIX_SECONDS_BELOW ? number * 1000 : number
}
