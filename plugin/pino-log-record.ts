import type { HrTime, SpanContext } from '@opentelemetry/api'
import { type AnyValue, type Attributes, type LogRecord, SeverityNumber } from '@opentelemetry/api'
import { type InstrumentationScope, millisToHrTime } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import { limitAttributes, limitBody } from '../sdk/logs/log-record-limits.js'
import type { LazyLogRecord, LogRecordSink } from '../sdk/logs/log-record-sink.js'
import { redactFastifyText, redactRequestUrl } from './fastify-line-redaction.js'

/**
 * The keys a pino logger writes its own parts under (options `messageKey`, `errorKey`), and the
 * query keys whose values are redacted in a request line's URL (the spans' `redactQueryParams`).
 */
export interface PinoKeys {
  messageKey: string
  errorKey: string
  redactedQueryKeys: ReadonlySet<string>
}

/** A record's fields besides its body and attributes, as encoded: times, severity, ids, keys. */
const FIXED_FIELDS_BYTES = 64

/** A `time` below this is in seconds: as milliseconds it would be before 1973. */
const UNIX_SECONDS_BELOW = 1e11

/** pino's standard levels and the severity numbers the log data model gives the same names. */
const STANDARD: ReadonlyMap<number, SeverityNumber> = new Map([
  [10, SeverityNumber.TRACE],
  [20, SeverityNumber.DEBUG],
  [30, SeverityNumber.INFO],
  [40, SeverityNumber.WARN],
  [50, SeverityNumber.ERROR],
  [60, SeverityNumber.FATAL]
])

/**
 * The severity of a pino level. A custom level falls in the range of the standard level below it
 * (pino's levels are 10 apart), and its place inside that range picks one of the four numbers the
 * data model gives each range: 35 is INFO3, 45 WARN3. Below 10 is TRACE, from 60 up FATAL.
 */
export function severityOf (level: number): SeverityNumber {
  const standard = STANDARD.get(level)
  if (standard !== undefined) return standard
  if (!Number.isFinite(level) || level < 10) return SeverityNumber.TRACE
  if (level >= 60) {
    return level >= 70 ? SeverityNumber.FATAL4 : SeverityNumber.FATAL + Math.min(3, Math.floor((level - 60) / 2.5))
  }
  const range = Math.floor(level / 10) * 10
  return STANDARD.get(range)! + Math.min(3, Math.floor((level - range) / 2.5))
}

/** What a line says besides its level: body, time (epoch milliseconds) and attributes. */
export interface PinoLineFields {
  body: AnyValue | undefined
  timestamp: number | undefined
  attributes: Attributes
  /** A value was made longer than the line has it (a redacted URL): the line's length bounds no string. */
  lengthened: boolean
}

/**
 * One line as pino wrote it (serializers and redaction applied): the message is the body, `time`
 * the timestamp, the error under `errorKey` the semantic conventions' `exception.*` attributes,
 * and every other field (bindings, `req`, `res`, `reqId`, the record's own) an attribute, nested
 * objects kept as maps. `level` is the severity (from pino's metadata, not from here). A line that
 * is not JSON (a `streamWrite` hook can make one) becomes the body as it is.
 */
export function parsePinoLine (line: string, keys: PinoKeys): PinoLineFields {
  let fields: unknown
  try {
    fields = JSON.parse(line)
  } catch {
    fields = undefined
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    return { body: line.trimEnd(), timestamp: undefined, attributes: {}, lengthened: false }
  }
  let body: AnyValue | undefined
  let timestamp: number | undefined
  let lengthened = false
  const attributes: Attributes = {}
  const source = fields as Record<string, unknown>
  const queryKeys = keys.redactedQueryKeys
  for (const key in source) {
    const value = source[key]
    if (key === keys.messageKey) {
      body = (typeof value === 'string' ? redactFastifyText(value, queryKeys) : value) as AnyValue
      lengthened ||= body !== value
    } else if (key === 'time' && (typeof value === 'number' || typeof value === 'string')) {
      // Epoch milliseconds (pino's default), seconds (stdTimeFunctions.unixTime) or an ISO string.
      const millis = typeof value === 'number' ? (value < UNIX_SECONDS_BELOW ? value * 1000 : value) : Date.parse(value)
      // A custom time function's value that is no time stays an attribute.
      if (Number.isFinite(millis)) timestamp = millis
      else attributes[key] = value
    } else if (key === keys.errorKey && value !== null && typeof value === 'object') {
      lengthened = addException(attributes, key, value as Record<string, unknown>, queryKeys) || lengthened
    } else if (key === 'req') {
      const req = redactRequestUrl(value, queryKeys)
      attributes[key] = req as AnyValue
      lengthened ||= req !== value
    } else if (key !== 'level' && key !== 'trace_id' && key !== 'span_id' && key !== 'trace_flags') {
      // The trace fields (the plugin's log correlation, or another's mixin) are left out: the
      // record carries the trace context of the write itself.
      attributes[key] = value as AnyValue
    }
  }
  return { body, timestamp, attributes, lengthened }
}

/** The line as a Logs API record, for a Logger (the application's pipeline). */
export function pinoLineToLogRecord (
  line: string,
  level: number,
  levelLabel: string | undefined,
  keys: PinoKeys
): LogRecord {
  const { body, timestamp, attributes } = parsePinoLine(line, keys)
  const record: LogRecord = { severityNumber: severityOf(level), attributes }
  if (levelLabel !== undefined) record.severityText = levelLabel
  if (body !== undefined) record.body = body
  if (timestamp !== undefined) record.timestamp = timestamp
  return record
}

/**
 * The line as a record of the package's own pipeline (log-record-sink.ts): what the write knows
 * (severity, trace context, when it was observed) is kept at once; the line is parsed when its
 * batch is exported, off the request's path.
 */
export class PinoLogRecord implements LazyLogRecord {
  readonly eventName = undefined
  private parsed:
    | { hrTime: HrTime; observed: HrTime; body: AnyValue | undefined; attributes: Attributes; dropped: number }
    | undefined

  /**
   * The line's time is the moment the bridge observed it too (pino wrote it microseconds before),
   * read when needed instead of asking the clock again; `pinoTime` (pino's `lastTime` metadata)
   * when the time has a key of its own. When the logger writes no time (`timestamp: false`),
   * `observedMillis` is the clock's.
   */
  constructor (
    private line: string,
    private readonly level: number,
    readonly severityText: string | undefined,
    readonly spanContext: SpanContext | undefined,
    private readonly sink: PinoRecordSink,
    private readonly pinoTime: string,
    private readonly observedMillis: number | undefined
  ) {}

  get resource (): Resource {
    return this.sink.resource
  }

  get instrumentationScope (): InstrumentationScope {
    return this.sink.scope
  }

  get severityNumber (): SeverityNumber {
    return severityOf(this.level)
  }

  get hrTimeObserved (): HrTime {
    return this.fields().observed
  }

  get hrTime (): HrTime {
    return this.fields().hrTime
  }

  get body (): AnyValue | undefined {
    return this.fields().body
  }

  get attributes (): Attributes {
    return this.fields().attributes
  }

  get droppedAttributesCount (): number {
    return this.fields().dropped
  }

  /**
   * What the queue's byte bound counts while the line is not parsed: the line's length (JSON is
   * about as long as its OTLP encoding) and the record's fixed fields. Once parsed, the encoder
   * measures the record.
   */
  queuedBytes (): number | undefined {
    return this.parsed === undefined ? this.line.length + FIXED_FIELDS_BYTES : undefined
  }

  /**
   * Parses the line now and lets go of it. For a long line: queued as written it would hold all
   * of its characters until export, where the limits would cut them; parsed, the record holds
   * only what the limits keep.
   */
  settle (): void {
    this.fields()
    this.line = ''
  }

  private fields (): NonNullable<PinoLogRecord['parsed']> {
    if (this.parsed === undefined) {
      const line = this.line
      const limits = this.sink.limits
      const { body, timestamp, attributes, lengthened } = parsePinoLine(line, this.sink.keys)
      // No string read from a line is longer than the line (JSON's escapes only shorten), unless
      // redaction lengthened one: otherwise a line within a length limit has nothing to cut.
      const longest = lengthened ? Infinity : line.length
      const limited = limitAttributes(attributes, limits, longest)
      // A custom time function's value may be no time at all: then the export's moment.
      const observed = this.observedMillis ?? timestamp ?? timeMillis(this.pinoTime) ?? Date.now()
      const observedTime = millisToHrTime(observed)
      this.parsed = {
        // pino's own time is the moment observed too (the usual case): one HrTime for both, read only.
        hrTime: timestamp === undefined || timestamp === observed ? observedTime : millisToHrTime(timestamp),
        observed: observedTime,
        body: longest <= limits.bodyLengthLimit ? body : limitBody(body, limits.bodyLengthLimit),
        attributes: limited.attributes,
        dropped: limited.dropped
      }
    }
    return this.parsed
  }
}

/** pino's time as written: epoch milliseconds (its default), seconds (unixTime), or an ISO string in quotes. */
function timeMillis (value: string): number | undefined {
  const millis = value.charCodeAt(0) === 34 ? Date.parse(value.slice(1, -1)) : Number(value)
  if (!Number.isFinite(millis) || value === '') return undefined
  return millis < UNIX_SECONDS_BELOW ? millis * 1000 : millis
}

/** The pipeline's sink with the keys of the logger the lines come from. */
export interface PinoRecordSink extends LogRecordSink {
  readonly keys: PinoKeys
}

/**
 * pino's error serializer gives `{ type, message, stack, ...own fields }`: the first three become
 * `exception.type`, `exception.message` and `exception.stacktrace`, anything else stays under the
 * error key. A request URL in Fastify's own error texts is redacted (fastify-line-redaction.ts).
 * True when that made a text longer.
 */
function addException (
  attributes: Attributes,
  key: string,
  error: Record<string, unknown>,
  queryKeys: ReadonlySet<string>
): boolean {
  const rest: Attributes = {}
  let restCount = 0
  let lengthened = false
  for (const name in error) {
    const value = error[name]
    if (name === 'type' && typeof value === 'string') {
      attributes['exception.type'] = value
    } else if (name === 'message' && typeof value === 'string') {
      const message = redactFastifyText(value, queryKeys)
      attributes['exception.message'] = message
      lengthened ||= message !== value
    } else if (name === 'stack' && typeof value === 'string') {
      const stack = redactFastifyText(value, queryKeys, true)
      attributes['exception.stacktrace'] = stack
      lengthened ||= stack !== value
    } else {
      rest[name] = value as AnyValue
      restCount++
    }
  }
  if (restCount > 0) attributes[key] = rest
  return lengthened
}
