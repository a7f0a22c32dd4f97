import { SeverityNumber } from '@opentelemetry/api'
import {
  type IExportLogsServiceResponse,
  ProtobufLogsSerializer
} from '@opentelemetry/otlp-transformer'
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs'
import { writeAnyValue, writeAttributes } from '../export/protobuf/otlp-common.js'
import { type EncodedItem, ItemEncoder, writeEncodedItems } from '../export/protobuf/encoded-items.js'
import {
  entryWriter,
  objectGroupWriter,
  OtlpRequestEncoder,
  protobufSerializer
} from '../export/protobuf/otlp-request.js'
import type { ReusingSerializer } from '../export/otlp-item-exporter.js'
import {
  type ProtoWriter,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LENGTH,
  WIRE_VARINT
} from '../export/protobuf/proto-writer.js'

/**
 * The OTLP encoding of log records (opentelemetry/proto/logs/v1), written from any
 * ReadableLogRecord straight into the request's buffer: the same messages as upstream's
 * ProtobufLogsSerializer (otlp-transformer 0.301); test/contract/otlp-encoder-contract.test.mjs
 * decodes both and compares them field by field.
 */

/** A LogRecord message's fields. */
export function writeLogRecord (writer: ProtoWriter, record: ReadableLogRecord): void {
  writer.timeField((1 << 3) | WIRE_FIXED64, record.hrTime)
  const severity = record.severityNumber
  if (severity !== undefined && severity !== SeverityNumber.UNSPECIFIED) {
    writer.key(2, WIRE_VARINT)
    writer.int64(severity)
  }
  if (record.severityText) {
    writer.key(3, WIRE_LENGTH)
    writer.string(record.severityText)
  }
  const body = record.body
  if (body !== undefined) {
    writer.key(5, WIRE_LENGTH)
    const start = writer.begin()
    writeAnyValue(writer, body)
    writer.end(start)
  }
  if (record.attributes) writeAttributes(writer, 6, record.attributes)
  writer.varintField((7 << 3) | WIRE_VARINT, record.droppedAttributesCount)
  const context = record.spanContext
  if (context?.traceFlags) {
    writer.key(8, WIRE_FIXED32)
    writer.fixed32(context.traceFlags)
  }
  if (context?.traceId) {
    writer.hexField((9 << 3) | WIRE_LENGTH, context.traceId)
  }
  if (context?.spanId) {
    writer.hexField((10 << 3) | WIRE_LENGTH, context.spanId)
  }
  writer.timeField((11 << 3) | WIRE_FIXED64, record.hrTimeObserved)
  if (record.eventName) {
    writer.key(12, WIRE_LENGTH)
    writer.string(record.eventName)
  }
}

/** ExportLogsServiceRequest bodies for batches of log records. */
export function logRequestEncoder (): OtlpRequestEncoder<ReadableLogRecord> {
  return new OtlpRequestEncoder<ReadableLogRecord>(objectGroupWriter(writeLogRecord))
}

/** Log records encoded one by one, for a queue of bytes (encoded-items.ts). */
export function logItemEncoder (): ItemEncoder<ReadableLogRecord> {
  return new ItemEncoder<ReadableLogRecord>(entryWriter(writeLogRecord))
}

/** The exporter's serializer for log records over OTLP protobuf (otlp-request.ts). */
export function protobufLogsSerializer (): ReusingSerializer<ReadableLogRecord, IExportLogsServiceResponse> {
  return protobufSerializer(logRequestEncoder(), (data) => ProtobufLogsSerializer.deserializeResponse(data))
}

/** The same, for records the queue holds encoded already (logItemEncoder). */
export function encodedLogsSerializer (): ReusingSerializer<EncodedItem, IExportLogsServiceResponse> {
  return protobufSerializer(new OtlpRequestEncoder<EncodedItem>(writeEncodedItems), (data) =>
    ProtobufLogsSerializer.deserializeResponse(data)
  )
}
