import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs'
import { BatchQueue } from '../export/batch-queue.js'

/**
 * The batch log record processor: the spans' queue (BatchQueue), so log records get the spans'
 * guarantees by construction (README, "Logs", says why not the SDK's BatchLogRecordProcessor).
 * Every record is taken: log records are not sampled.
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
