import type { Logger } from '@opentelemetry/api'
import type { InstrumentationScope } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs'

export interface LogRecordLimits {
  attributeCountLimit: number
  attributeValueLengthLimit: number
  /** Characters a string body keeps (strings inside a map or list body too): limitBody. */
  bodyLengthLimit: number
}

/**
 * The log queue, for records built without the SDK's Logger (the Fastify log bridge): as the span
 * factory does for spans, the hot path skips what it does not need. The SDK's Logger checks every
 * attribute value against the data model and copies nested maps to truncate them (about 1 us per
 * record here); a line pino wrote is JSON, valid by construction, and is parsed only when its
 * batch is exported. Records built here get the pipeline's resource, scope and limits (the body
 * cut at `limits.bodyLengthLimit` before the record is offered).
 *
 * A record that has not read its line yet says what it takes in the queue with `queuedBytes()`
 * (LazyLogRecord): measuring it with the encoder would parse it on the request's path.
 */
export interface LogRecordSink {
  readonly resource: Resource
  readonly scope: InstrumentationScope
  readonly limits: LogRecordLimits
  offer(record: ReadableLogRecord): void
}

/** The log pipeline as the plugin sees it. */
export interface SdkLogs {
  /** The Logs API logger of the pipeline (through the API's global one when the application owns the SDK). */
  readonly logger: Logger
  /** The package's own queue, when this package assembled the pipeline. */
  readonly sink: LogRecordSink | undefined
}

/** A record whose fields are read from its source when first asked for (a pino line). */
export interface LazyLogRecord extends ReadableLogRecord {
  /**
   * What the queue's byte bound counts for it: its encoded size once read, before that its
   * source's length (a JSON line is about as long as its OTLP encoding) plus the fixed fields.
   */
  queuedBytes(): number | undefined
}
