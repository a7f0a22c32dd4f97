import { readFields, type WireField } from '../sdk/export/protobuf/protowire.js'
import {
  type AttributeMap,
  type AttributeValue,
  anyValueAt,
  fixed32,
  fixed64,
  hex,
  keyValues,
  messages,
  resourceAndScopes,
  text,
  varint
} from './protobuf-values.js'

/**
 * Decodes an OTLP ExportLogsServiceRequest (opentelemetry-proto, logs/v1) into flat log records
 * with their resource and scope.
 */

export interface ReceivedLogRecord {
  timeUnixNano: bigint
  observedTimeUnixNano: bigint
  /** OTLP SeverityNumber: 9 INFO, 13 WARN, 17 ERROR... */
  severityNumber: number
  severityText: string
  /** undefined when the record has no body. */
  body: AttributeValue | undefined
  attributes: AttributeMap
  droppedAttributesCount: number
  /** The W3C trace flags in the low byte. */
  flags: number
  /** Empty when the record was written outside any trace. */
  traceId: string
  spanId: string
  eventName: string
  resource: AttributeMap
  scope: { name: string; version: string }
}

export function decodeLogsRequest (request: Buffer): ReceivedLogRecord[] {
  const records: ReceivedLogRecord[] = []
  for (const resourceLogs of messages(readFields(request), 1)) {
    const { resource, scopes } = resourceAndScopes(resourceLogs)
    for (const { scope, items } of scopes) {
      for (const record of items) records.push(decodeLogRecord(readFields(record), resource, scope))
    }
  }
  return records
}

function decodeLogRecord (
  f: WireField[],
  resource: AttributeMap,
  scope: ReceivedLogRecord['scope']
): ReceivedLogRecord {
  return {
    timeUnixNano: fixed64(f, 1),
    severityNumber: Number(varint(f, 2)),
    severityText: text(f, 3),
    body: anyValueAt(f, 5),
    attributes: keyValues(f, 6),
    droppedAttributesCount: Number(varint(f, 7)),
    flags: fixed32(f, 8),
    traceId: hex(f, 9),
    spanId: hex(f, 10),
    observedTimeUnixNano: fixed64(f, 11),
    eventName: text(f, 12),
    resource,
    scope
  }
}
