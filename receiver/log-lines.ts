import type { ReceivedLogRecord } from './decode-logs.js'
import type { ReceivedSpan } from './decode-traces.js'

const SEVERITY_NAMES = ['', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']
/** Fields every line has, or that say the message again or take lines of their own: left out of the listing. */
const HIDDEN = new Set(['pid', 'hostname', 'reqId', 'req', 'res', 'exception.message', 'exception.stacktrace'])

/**
 * A trace's log records under its waterfall: when each was written (from the trace's start), its
 * severity, the span it was written in, the message and its short fields. The records come from
 * the receiver's logs service; they carry the trace and span ids of the context they were written
 * in, which is how they find their trace.
 */
export function renderLogLines (records: ReceivedLogRecord[], spans: ReceivedSpan[]): string {
  if (records.length === 0) return ''
  const start = spans.reduce(
    (min, s) => (s.startTimeUnixNano < min ? s.startTimeUnixNano : min),
    spans[0]?.startTimeUnixNano ?? records[0]!.timeUnixNano
  )
  const names = new Map(spans.map((s) => [s.spanId, s.name]))
  const lines = ['  log records']
  const byTime = [...records].sort((a, b) =>
    a.timeUnixNano < b.timeUnixNano ? -1 : a.timeUnixNano > b.timeUnixNano ? 1 : 0
  )
  for (const record of byTime) {
    const offset = `${(Number(record.timeUnixNano - start) / 1e6).toFixed(0)} ms`.padStart(7)
    const severity = (SEVERITY_NAMES[Math.ceil(record.severityNumber / 4)] ?? '?').padEnd(5)
    const span = `[${names.get(record.spanId) ?? record.spanId}]`
    const fields = Object.entries(record.attributes)
      .filter(([key, value]) => !HIDDEN.has(key) && (typeof value !== 'object' || value === null))
      .map(
        ([key, value]) => `${key}=${typeof value === 'number' ? String(Number(value.toPrecision(6))) : String(value)}`
      )
    const shownFields = fields.length > 0 ? `  ${fields.join(' ')}` : ''
    lines.push(`  ${offset}  ${severity}  ${String(record.body ?? '')}  ${span}${shownFields}`)
  }
  return lines.join('\n') + '\n'
}

/** The records written outside any trace, counted by message. */
export function renderUntraced (records: ReceivedLogRecord[]): string {
  const counts = new Map<string, number>()
  for (const record of records) counts.set(String(record.body ?? ''), (counts.get(String(record.body ?? '')) ?? 0) + 1)
  const listed = [...counts].map(([body, count]) =>
    count === 1 ? JSON.stringify(body) : `${JSON.stringify(body)} x${count}`
  )
  return `${records.length} log records outside any trace: ${listed.join(', ')}`
}
