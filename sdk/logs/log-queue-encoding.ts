import type { ReadableLogRecord } from '@opentelemetry/sdk-logs'
import type { QueueEncoding } from '../export/queue-contracts.js'
import { entryWriter } from '../export/protobuf/otlp-request.js'
import { ProtoWriter } from '../export/protobuf/proto-writer.js'
import type { LazyLogRecord } from './log-record-sink.js'
import { writeLogRecord } from './otlp-log-encoder.js'

/**
 * What the log queue holds: the records themselves (a line from the Fastify logger is parsed only
 * when its batch is exported, off the request's path), each measured for the byte bound: by the
 * OTLP encoder, or, for a line not parsed yet, by what the line says (LazyLogRecord).
 */
export function measuredLogRecords (): QueueEncoding<ReadableLogRecord, ReadableLogRecord> {
  const scratch = new ProtoWriter(4096)
  const writeEntry = entryWriter(writeLogRecord)
  return {
    measure: (record) => {
      const lazy = (record as Partial<LazyLogRecord>).queuedBytes?.()
      if (lazy !== undefined) return lazy
      scratch.pos = 0
      writeEntry(scratch, record)
      return scratch.pos
    },
    commit: (record) => record
  }
}
