import type { LogRecordSink } from './log-record-sink.js'

/**
 * The package's log queue for records relayed from worker threads: set by the assembly when the
 * package exports logs, read by the workers' main side. Shared across module copies (the CommonJS
 * and ES entries), like the span sink.
 */
const SINK = Symbol.for('fastify-otel-kit.log-sink')

export function setLogSink (sink: LogRecordSink | undefined): void {
  ;(globalThis as Record<symbol, LogRecordSink | undefined>)[SINK] = sink
}

/** Undefined when the package does not export logs (the application's LoggerProvider, or none). */
export function currentLogSink (): LogRecordSink | undefined {
  return (globalThis as Record<symbol, LogRecordSink | undefined>)[SINK]
}
