import type { AnyValue, Attributes, HrTime, SpanContext } from '@opentelemetry/api'
import type { InstrumentationScope } from '@opentelemetry/core'
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs'
import { LinkedContext } from '../../context/linked-context.js'
import { logs, trace } from '../../context/otel-api.js'
import { limitAttributes, limitBody } from '../../sdk/logs/log-record-limits.js'
import type { LogRecordSink } from '../../sdk/logs/log-record-sink.js'
import { currentLogSink } from '../../sdk/logs/log-sink.js'
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
      traceFlags,
      dropped,
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
    const scope = { name: scopeName, version: scopeVersion, schemaUrl: scopeSchemaUrl }
    const times = { timestamp: [seconds, nanos] as HrTime, observed: [observedSeconds, observedNanos] as HrTime }
    const spanContext = traceId === '' ? undefined : { traceId, spanId, traceFlags, isRemote: false }
    const fields = {
      severityNumber,
      severityText,
      body,
      eventName,
      attributes: { ...attributes, 'thread.id': threadId }
    }
    const sink = currentLogSink()
    if (sink !== undefined) offerToSink(sink, scope, times, spanContext, fields, dropped)
    else emitThroughApi(scope, times, spanContext, fields)
  }
}

interface RelayedScope { name: string, version: string, schemaUrl: string }
interface RelayedTimes { timestamp: HrTime, observed: HrTime }
interface RelayedFields {
  severityNumber: number
  severityText: string
  body: AnyValue | undefined
  eventName: string
  attributes: Attributes
}

/**
 * Straight into the package's log queue: the record keeps the attributes the worker dropped in
 * its count, which the Logs API has no way to pass on. This pipeline's limits apply on top.
 */
function offerToSink (
  sink: LogRecordSink,
  scope: RelayedScope,
  times: RelayedTimes,
  spanContext: SpanContext | undefined,
  fields: RelayedFields,
  droppedInWorker: number
): void {
  const { attributes, dropped } = limitAttributes(fields.attributes, sink.limits)
  const record: Mutable<ReadableLogRecord> = {
    hrTime: times.timestamp,
    hrTimeObserved: times.observed,
    resource: sink.resource,
    instrumentationScope: scopeOf(scope, sink.scope),
    attributes,
    droppedAttributesCount: droppedInWorker + dropped
  }
  if (spanContext !== undefined) record.spanContext = spanContext
  if (fields.severityNumber !== 0) record.severityNumber = fields.severityNumber
  if (fields.severityText !== '') record.severityText = fields.severityText
  if (fields.body !== undefined) record.body = limitBody(fields.body, sink.limits.bodyLengthLimit)
  if (fields.eventName !== '') record.eventName = fields.eventName
  sink.offer(record)
}

/** Through the Logs API's global LoggerProvider (the application's): dropped counts are not carried. */
function emitThroughApi (
  scope: RelayedScope,
  times: RelayedTimes,
  spanContext: SpanContext | undefined,
  fields: RelayedFields
): void {
  const logger = logs.getLogger(
    scope.name,
    scope.version === '' ? undefined : scope.version,
    scope.schemaUrl === '' ? undefined : { schemaUrl: scope.schemaUrl }
  )
  logger.emit({
    timestamp: times.timestamp,
    observedTimestamp: times.observed,
    ...(fields.severityNumber === 0 ? {} : { severityNumber: fields.severityNumber }),
    ...(fields.severityText === '' ? {} : { severityText: fields.severityText }),
    ...(fields.body === undefined ? {} : { body: fields.body }),
    ...(fields.eventName === '' ? {} : { eventName: fields.eventName }),
    attributes: fields.attributes,
    // The worker span's ids; the record was written in this trace, in another thread.
    context: spanContext === undefined ? LinkedContext.ROOT : trace.setSpanContext(LinkedContext.ROOT, spanContext)
  })
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * One scope object per name, version and schema URL: the OTLP serializer groups records by the
 * identity of their scope.
 */
const scopes = new Map<string, InstrumentationScope>()

function scopeOf ({ name, version, schemaUrl }: RelayedScope, pipelines: InstrumentationScope): InstrumentationScope {
  if (name === pipelines.name && version === (pipelines.version ?? '') && schemaUrl === (pipelines.schemaUrl ?? '')) {
    return pipelines
  }
  const key = `${name}\0${version}\0${schemaUrl}`
  let scope = scopes.get(key)
  if (scope === undefined) {
    scope = Object.freeze({ name, ...(version === '' ? {} : { version }), ...(schemaUrl === '' ? {} : { schemaUrl }) })
    scopes.set(key, scope)
  }
  return scope
}
