import type { Link, SpanContext, SpanStatus } from '@opentelemetry/api'
import {
  type IExportTraceServiceResponse,
  ProtobufTraceSerializer
} from '@opentelemetry/otlp-transformer'
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace'
import { writeAttributes } from '../export/protobuf/otlp-common.js'
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
 * The OTLP encoding of spans (opentelemetry/proto/trace/v1), written from any ReadableSpan (the
 * package's, the SDK's) straight into the request's buffer: the same messages as upstream's
 * ProtobufTraceSerializer (otlp-transformer 0.301), which measures a size first and then writes,
 * and allocates the ids' bytes for every span. test/contract/otlp-encoder-contract.test.mjs
 * decodes both with the OTLP protobuf definitions and compares them field by field.
 */

/** OTLP's span flags: the W3C trace flags in the low byte, then whether the parent (or link) is remote. */
const HAS_IS_REMOTE = 0x100
const IS_REMOTE = 0x200

/** The keys of the id fields (length-delimited): trace_id and span_id of Span and Link, Span's parent_span_id. */
const TRACE_ID = (1 << 3) | WIRE_LENGTH
const SPAN_ID = (2 << 3) | WIRE_LENGTH
const PARENT_SPAN_ID = (4 << 3) | WIRE_LENGTH

/** A Span message's fields. */
export function writeSpan (writer: ProtoWriter, span: ReadableSpan): void {
  const context = span.spanContext()
  writer.hexField(TRACE_ID, context.traceId)
  writer.hexField(SPAN_ID, context.spanId)
  writeTraceState(writer, 3, context)
  const parent = span.parentSpanContext
  if (parent?.spanId) {
    writer.hexField(PARENT_SPAN_ID, parent.spanId)
  }
  writer.key(5, WIRE_LENGTH)
  writer.string(span.name)
  // OTLP's SpanKind is the API's plus one (0 is UNSPECIFIED, left out).
  if (span.kind != null && span.kind + 1 !== 0) {
    writer.varintField((6 << 3) | WIRE_VARINT, span.kind + 1)
  }
  writer.timeField((7 << 3) | WIRE_FIXED64, span.startTime)
  writer.timeField((8 << 3) | WIRE_FIXED64, span.endTime)
  if (span.attributes) writeAttributes(writer, 9, span.attributes)
  writer.varintField((10 << 3) | WIRE_VARINT, span.droppedAttributesCount)
  const events = span.events
  for (let i = 0; i < events.length; i++) writeEvent(writer, events[i]!)
  writer.varintField((12 << 3) | WIRE_VARINT, span.droppedEventsCount)
  const links = span.links
  for (let i = 0; i < links.length; i++) writeLink(writer, links[i]!)
  writer.varintField((14 << 3) | WIRE_VARINT, span.droppedLinksCount)
  writeStatus(writer, span.status)
  writer.key(16, WIRE_FIXED32)
  writer.fixed32(flags(context, parent?.isRemote))
}

function writeEvent (writer: ProtoWriter, event: TimedEvent): void {
  writer.key(11, WIRE_LENGTH)
  const start = writer.begin()
  writer.timeField((1 << 3) | WIRE_FIXED64, event.time)
  writer.key(2, WIRE_LENGTH)
  writer.string(event.name)
  if (event.attributes) writeAttributes(writer, 3, event.attributes)
  writer.key(4, WIRE_VARINT)
  writer.uint32(event.droppedAttributesCount || 0)
  writer.end(start)
}

function writeLink (writer: ProtoWriter, link: Link): void {
  writer.key(13, WIRE_LENGTH)
  const start = writer.begin()
  const context = link.context
  writer.hexField(TRACE_ID, context.traceId)
  writer.hexField(SPAN_ID, context.spanId)
  writeTraceState(writer, 3, context)
  if (link.attributes) writeAttributes(writer, 4, link.attributes)
  writer.key(5, WIRE_VARINT)
  writer.uint32(link.droppedAttributesCount || 0)
  writer.key(6, WIRE_FIXED32)
  writer.fixed32(flags(context, context.isRemote))
  writer.end(start)
}

function writeStatus (writer: ProtoWriter, status: SpanStatus): void {
  writer.key(15, WIRE_LENGTH)
  const start = writer.begin()
  if (status.message) {
    writer.key(2, WIRE_LENGTH)
    writer.string(status.message)
  }
  writer.varintField((3 << 3) | WIRE_VARINT, status.code)
  writer.end(start)
}

function writeTraceState (writer: ProtoWriter, field: number, context: SpanContext): void {
  const traceState = context.traceState?.serialize()
  if (traceState) {
    writer.key(field, WIRE_LENGTH)
    writer.string(traceState)
  }
}

/** Whether the parent (or the linked span) is remote is always known here: the flag says so. */
function flags (context: SpanContext, isRemote: boolean | undefined): number {
  return (context.traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0)
}

/** ExportTraceServiceRequest bodies for batches of spans. */
export function spanRequestEncoder (): OtlpRequestEncoder<ReadableSpan> {
  return new OtlpRequestEncoder<ReadableSpan>(objectGroupWriter(writeSpan))
}

/** Spans encoded one by one as they end, for a queue of bytes (encoded-items.ts). */
export function spanItemEncoder (): ItemEncoder<ReadableSpan> {
  return new ItemEncoder<ReadableSpan>(entryWriter(writeSpan))
}

/** The exporter's serializer for spans over OTLP protobuf (otlp-request.ts). */
export function protobufSpanSerializer (): ReusingSerializer<ReadableSpan, IExportTraceServiceResponse> {
  return protobufSerializer(spanRequestEncoder(), (data) => ProtobufTraceSerializer.deserializeResponse(data))
}

/** The same, for spans the queue holds encoded already (spanItemEncoder): the request is put together by copying. */
export function encodedSpanSerializer (): ReusingSerializer<EncodedItem, IExportTraceServiceResponse> {
  return protobufSerializer(new OtlpRequestEncoder<EncodedItem>(writeEncodedItems), (data) =>
    ProtobufTraceSerializer.deserializeResponse(data)
  )
}
