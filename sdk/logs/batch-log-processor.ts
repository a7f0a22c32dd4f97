import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs'
import { BatchQueue } from '../export/batch-queue.js'

/**
 * The batch log record processor: the spans' queue (BatchQueue), so log records get the spans'
 * guarantees by construction. docs/internals/upstream-parts.md, "The log batch processor", says why
 * not the SDK's BatchLogRecordProcessor (sdk-logs 3.1: exports in the emitting request's context, a
 * second flush or a shutdown during a flush that does not wait, silent drops, twice the queue bound
 * during a flush). Every record is taken: log records are not sampled.
 *
 * The SDK makes a record read-only when onEmit returns; the queue only reads it afterwards.
 */
export class BatchLogProcessor extends BatchQueue<ReadableLogRecord> implements LogRecordProcessor {
  onEmit (record: ReadWriteLogRecord): void {
    this.offer(record)
  }

  /** A record built without the SDK's Logger (log-record-sink.ts). */
  accept (record: ReadableLogRecord): void {
    this.offer(record)
  }
}
