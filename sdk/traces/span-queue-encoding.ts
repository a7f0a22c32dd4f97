import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import type { QueueEncoding } from '../export/queue-contracts.js'
import type { EncodedItem } from '../export/protobuf/encoded-items.js'
import { ProtoWriter } from '../export/protobuf/proto-writer.js'
import { entryWriter } from '../export/protobuf/otlp-request.js'
import { spanItemEncoder, writeSpan } from './otlp-span-encoder.js'

/**
 * What the span queue holds. For OTLP protobuf (gRPC, HTTP) each span's bytes, written as it ends:
 * the byte bound counts exactly what will be sent, the span object is garbage at once instead of
 * after its batch (queued spans no longer survive into the old generation of the heap), and a
 * batch goes out by copying. For any other exporter (console, OTLP/JSON, an instance of the
 * application's) the spans themselves, measured with the same encoder for the byte bound.
 */
export function encodedSpans (): QueueEncoding<ReadableSpan, EncodedItem> {
  const encoder = spanItemEncoder()
  return {
    measure: (span) => encoder.measure(span),
    commit: (span) => encoder.commit(span),
    release: (items) => encoder.release(items)
  }
}

/** The spans as they are, each measured by the OTLP encoder (its size as OTLP protobuf). */
export function measuredSpans (): QueueEncoding<ReadableSpan, ReadableSpan> {
  const scratch = new ProtoWriter(4096)
  const writeEntry = entryWriter(writeSpan)
  return {
    measure: (span) => {
      scratch.pos = 0
      writeEntry(scratch, span)
      return scratch.pos
    },
    commit: (span) => span
  }
}
