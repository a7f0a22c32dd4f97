import type { HrTime } from '@opentelemetry/api'
import { type AnyValue, type Attributes, logs } from '@opentelemetry/api'
import { LinkedContext } from '../../context/linked-context.js'
import { trace } from '../../context/otel-api.js'
import { Reply, type TaskReply } from '../protocol/messages.js'
import { RECORD_FIELDS } from '../protocol/relayed-logs.js'

/**
 * Emits the log records a reply brought home (protocol/relayed-logs.ts, after the spans, from
 * `at`) into this thread's LoggerProvider, the Logs API's global one (the plugin's when it exports
 * logs): with the service's resource, the trace and span ids of the worker span each was written
 * in, and the worker's `thread.id`. With no LoggerProvider registered they go nowhere, as any
 * Logs API record would.
 */
export function deliverLogRecords (reply: TaskReply, at: number): void {
  if (at >= reply.length) return
  const count = reply[at] as number
  const threadId = reply[Reply.ThreadId]
  let i = at + 1
  for (let n = 0; n < count && i + RECORD_FIELDS <= reply.length; n++, i += RECORD_FIELDS) {
    const [
      seconds,
      nanos,
      observedSeconds,
      observedNanos,
      severityNumber,
      severityText,
      body,
      eventName,
      traceId,
      spanId,
      traceFlags,,
      scopeName,
      scopeVersion,
      scopeSchemaUrl,
      attributes
    ] = reply.slice(i, i + RECORD_FIELDS) as [
      number,
      number,
      number,
      number,
      number,
      string,
      AnyValue | undefined,
      string,
      string,
      string,
      number,
      number,
      string,
      string,
      string,
      Attributes
    ]
    const logger = logs.getLogger(
      scopeName,
      scopeVersion === '' ? undefined : scopeVersion,
      scopeSchemaUrl === '' ? undefined : { schemaUrl: scopeSchemaUrl }
    )
    logger.emit({
      timestamp: [seconds, nanos] as HrTime,
      observedTimestamp: [observedSeconds, observedNanos] as HrTime,
      ...(severityNumber === 0 ? {} : { severityNumber }),
      ...(severityText === '' ? {} : { severityText }),
      ...(body === undefined ? {} : { body }),
      ...(eventName === '' ? {} : { eventName }),
      attributes: { ...attributes, 'thread.id': threadId },
      // The worker span's ids; the record was written in this trace, in another thread.
      context:
        traceId === ''
          ? LinkedContext.ROOT
          : trace.setSpanContext(LinkedContext.ROOT, { traceId, spanId, traceFlags, isRemote: false })
    })
  }
}
