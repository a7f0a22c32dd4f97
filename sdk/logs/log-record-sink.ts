import type { Logger } from '@opentelemetry/api'
import type { InstrumentationScope } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs'

export interface LogRecordLimits {
  attributeCountLimit: number
  attributeValueLengthLimit: number
}

/**
 * The log queue, for records built without the SDK's Logger (the Fastify log bridge): as the span
 * factory does for spans, the hot path skips what it does not need. The SDK's Logger checks every
 * attribute value against the data model and copies nested maps to truncate them (about 1 us per
 * record here); a line pino wrote is JSON, valid by construction, and is parsed only when its
 * batch is exported. Records built here get the pipeline's resource, scope and limits.
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
