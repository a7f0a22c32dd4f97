import type { SpanContext } from '@opentelemetry/api'
import type { FastifyBaseLogger } from 'fastify'
import { context, trace } from '../context/otel-api.js'
import { isValidSpanContext } from '../context/w3c-trace-context.js'
import { logExportSuspended, resumeLogExport, suspendLogExport } from '../sdk/diagnostics/log-export-guard.js'
import type { SdkLogs } from '../sdk/logs/log-record-sink.js'
import { type PinoKeys, PinoLogRecord, type PinoRecordSink, pinoLineToLogRecord } from './pino-log-record.js'

/** pino's public flag: a stream with it gets the level of each line (`lastLevel`) before the write. */
const NEEDS_METADATA = Symbol.for('pino.metadata')
/** Marks a stream this package put in place, so that it is never wrapped twice. */
const kLogTee = Symbol.for('fastify-otel-kit.log-tee')

/** What pino sets on a metadata stream before each write, forwarded to a stream that wants it too. */
const METADATA_FIELDS = ['lastLevel', 'lastObj', 'lastMsg', 'lastTime', 'lastLogger'] as const

interface PinoStream {
  write(line: string): unknown
  flush?(callback: (error?: Error) => void): void
  flushSync?(): void
  end?(): void
  [key: string | symbol]: unknown
}

interface PinoLogger {
  levels?: { labels?: Record<number, string> }
  [key: symbol]: unknown
}

export interface LogBridge {
  /** Puts the original stream back (at close, once the pipeline has shut down). */
  remove(): void
}

/**
 * Exports every line of the Fastify logger as a log record, leaving what the logger writes
 * untouched, byte for byte (docs/guides/logs.md).
 *
 * pino keeps its destination under a module-private symbol (`Symbol('pino.stream')`, found here by
 * its description: whichever copy of pino made the logger) and every child logger reads it through
 * the prototype chain. The bridge puts a tee there, as an own property of this
 * instance's logger: every line of `app.log`, `request.log`, `reply.log` and their children
 * (those made before the plugin too) passes through it, and nothing else of the application's
 * pino does (with `loggerInstance`, `app.log` is a child of the application's logger). The tee
 * writes the line to the original stream first, unchanged, then emits it.
 *
 * pino writes synchronously inside the log call, so the active context in the tee is the one the
 * line was written in: the record gets that trace and span. pino has already applied the level,
 * serializers and redaction: a line below the level never reaches the tee, and a redacted value is
 * exported redacted.
 *
 * Returns undefined when the logger is not pino (Fastify's `logger: false`, a custom logger).
 */
export function bridgeFastifyLog (
  log: FastifyBaseLogger,
  logs: SdkLogs,
  redactedQueryKeys: ReadonlySet<string>
): LogBridge | undefined {
  const root = log as unknown as PinoLogger
  const streamKey = pinoSymbol(root, 'pino.stream')
  if (streamKey === undefined) return undefined
  const original = root[streamKey] as PinoStream | undefined
  if (original === undefined || original === null || typeof original.write !== 'function') return undefined
  if (original[kLogTee] === true) return { remove () {} }

  const keys: PinoKeys = {
    messageKey: stringAt(root, pinoSymbol(root, 'pino.messageKey')) ?? 'msg',
    errorKey: stringAt(root, pinoSymbol(root, 'pino.errorKey')) ?? 'err',
    redactedQueryKeys
  }
  const forwardMetadata = original[NEEDS_METADATA] === true
  const emit = logs.sink === undefined ? emitThroughLogger(logs, keys) : queueRecord(logs, keys)
  const tee: PinoStream = {
    [NEEDS_METADATA]: true,
    [kLogTee]: true,
    write (line: string) {
      if (forwardMetadata) for (const field of METADATA_FIELDS) original[field] = tee[field]
      const result = original.write(line)
      if (!logExportSuspended()) emitSafely(emit, line, tee)
      return result
    }
  }
  // pino calls these when the destination has them (logger.flush(), fatal's flushSync): the same
  // calls must reach the same destination. They are bound, never inherited: a destination's
  // methods write their own state, which must stay on the destination.
  if (typeof original.flush === 'function') {
    tee.flush = (callback) => {
      original.flush!(callback)
    }
  }
  if (typeof original.flushSync === 'function') {
    tee.flushSync = () => {
      original.flushSync!()
    }
  }
  if (typeof original.end === 'function') {
    tee.end = () => {
      original.end!()
    }
  }

  const own = Object.prototype.hasOwnProperty.call(root, streamKey)
  root[streamKey] = tee
  return {
    remove () {
      if (root[streamKey] !== tee) return
      if (own) root[streamKey] = original
      else delete root[streamKey]
    }
  }
}

type Emit = (line: string, tee: PinoStream, level: number, levelLabel: string | undefined) => void

/** The package's own pipeline: the record keeps the line, parsed when its batch is exported. */
function queueRecord (logs: SdkLogs, keys: PinoKeys): Emit {
  const sink: PinoRecordSink = { ...logs.sink!, keys }
  const settleAbove = sink.limits.attributeValueLengthLimit
  // The lines of one request share its span context: checked once, not per line.
  let checked: SpanContext | undefined
  let valid = false
  return (line, tee, level, levelLabel) => {
    const spanContext = trace.getSpanContext(context.active())
    if (spanContext !== checked) {
      checked = spanContext
      valid = isValidSpanContext(spanContext)
    }
    const time = typeof tee.lastTime === 'string' ? tee.lastTime : ''
    const record = new PinoLogRecord(
      line,
      level,
      levelLabel,
      valid ? spanContext : undefined,
      sink,
      time,
      time === '' ? Date.now() : undefined
    )
    // A short line queued as written costs no more than parsed; a long one may carry values that
    // the limits would cut at export, so it is parsed now.
    if (line.length > settleAbove) record.settle()
    sink.offer(record)
  }
}

/** Another pipeline (the application's), through the Logs API: the SDK takes the active context. */
function emitThroughLogger (logs: SdkLogs, keys: PinoKeys): Emit {
  return (line, _tee, level, levelLabel) => {
    logs.logger.emit(pinoLineToLogRecord(line, level, levelLabel, keys))
  }
}

/** Never throws: a log call must not fail because of export. */
function emitSafely (emit: Emit, line: string, tee: PinoStream): void {
  suspendLogExport()
  try {
    const level = tee.lastLevel as number
    emit(line, tee, level, (tee.lastLogger as PinoLogger | undefined)?.levels?.labels?.[level])
  } catch {
    // A line that cannot be made a record is still written; only its export is lost.
  } finally {
    resumeLogExport()
  }
}

/** A private pino symbol, by its description, anywhere on the logger's prototype chain. */
function pinoSymbol (logger: object, description: string): symbol | undefined {
  for (let object: object | null = logger; object !== null; object = Object.getPrototypeOf(object)) {
    const found = Object.getOwnPropertySymbols(object).find((symbol) => symbol.description === description)
    if (found !== undefined) return found
  }
  return undefined
}

function stringAt (logger: PinoLogger, key: symbol | undefined): string | undefined {
  const value = key === undefined ? undefined : logger[key]
  return typeof value === 'string' && value !== '' ? value : undefined
}
