import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs'
import type { BatchLimits, BatchProcessorEvents, ItemExporter, QueueEncoding } from '../export/queue-contracts.js'
import { BatchQueue } from '../export/batch-queue.js'
import { limitBody } from './log-record-limits.js'

/**
 * The batch log record processor: the spans' queue (BatchQueue), so log records get the spans'
 * guarantees by construction. docs/internals/upstream-parts.md, "The log batch processor", says why
 * not the SDK's BatchLogRecordProcessor (sdk-logs 3.1: exports in the emitting request's context, a
 * second flush or a shutdown during a flush that does not wait, silent drops, twice the queue bound
 * during a flush). Every record is taken: log records are not sampled.
 *
 * The SDK makes a record read-only when onEmit returns; the queue only reads it afterwards. Its
 * body is cut at `bodyLengthLimit` here, while it is still writable: the SDK's Logger limits
 * attributes only. Records offered through `accept` come limited (log-record-sink.ts).
 */
export class BatchLogProcessor extends BatchQueue<ReadableLogRecord, ReadableLogRecord> implements LogRecordProcessor {
  constructor (
    exporter: ItemExporter<ReadableLogRecord>,
    limits: BatchLimits,
    events: BatchProcessorEvents = {},
    encoding?: QueueEncoding<ReadableLogRecord, ReadableLogRecord>,
    private readonly bodyLengthLimit = Infinity
  ) {
    super(exporter, limits, events, encoding)
  }

  onEmit (record: ReadWriteLogRecord): void {
    if (this.bodyLengthLimit !== Infinity) {
      const body = record.body
      const cut = limitBody(body, this.bodyLengthLimit)
      if (cut !== body) record.setBody(cut!)
    }
    this.offer(record)
  }

  /** A record built without the SDK's Logger (log-record-sink.ts). */
  accept (record: ReadableLogRecord): void {
    this.offer(record)
  }
}
