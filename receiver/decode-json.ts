import type { ReceivedLogRecord } from './decode-logs.js'
import type { ReceivedSpan } from './decode-traces.js'
import {
  anyValue,
  each,
  enumValue,
  hexId,
  int64,
  type JsonObject,
  keyValues,
  object,
  parseJsonMessage,
  resourceAndScopes,
  string,
  uint32
} from './json-values.js'

/**
 * Decodes OTLP/JSON trace and logs requests (what `application/json` exporters send to /v1/traces
 * and /v1/logs) into the same spans and log records as the protobuf decoders, so a test can hold
 * either transport to the same expectations. Metrics: decode-json-metrics.ts.
 */

export function decodeJsonTraceRequest (body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  for (const [resourceSpans, path] of each(parseJsonMessage(body), 'resourceSpans', '')) {
    const { resource, scopes } = resourceAndScopes(resourceSpans, path, 'scopeSpans', 'spans')
    for (const { scope, items } of scopes) {
      for (const [span, at] of items) spans.push(decodeSpan(span, at, resource, scope))
    }
  }
  return spans
}

export function decodeJsonLogsRequest (body: Buffer): ReceivedLogRecord[] {
  const records: ReceivedLogRecord[] = []
  for (const [resourceLogs, path] of each(parseJsonMessage(body), 'resourceLogs', '')) {
    const { resource, scopes } = resourceAndScopes(resourceLogs, path, 'scopeLogs', 'logRecords')
    for (const { scope, items } of scopes) {
      for (const [record, at] of items) records.push(decodeLogRecord(record, at, resource, scope))
    }
  }
  return records
}

function decodeSpan (
  s: JsonObject,
  at: string,
  resource: ReceivedSpan['resource'],
  scope: ReceivedSpan['scope']
): ReceivedSpan {
  const status = object(s.status, `${at}.status`)
  return {
    traceId: hexId(s.traceId, 16, `${at}.traceId`),
    spanId: hexId(s.spanId, 8, `${at}.spanId`),
    traceState: string(s.traceState, `${at}.traceState`),
    parentSpanId: hexId(s.parentSpanId, 8, `${at}.parentSpanId`),
    name: string(s.name, `${at}.name`),
    kind: enumValue(s.kind, `${at}.kind`),
    startTimeUnixNano: int64(s.startTimeUnixNano, `${at}.startTimeUnixNano`),
    endTimeUnixNano: int64(s.endTimeUnixNano, `${at}.endTimeUnixNano`),
    attributes: keyValues(s.attributes, `${at}.attributes`),
    events: each(s, 'events', at).map(([e, path]) => ({
      timeUnixNano: int64(e.timeUnixNano, `${path}.timeUnixNano`),
      name: string(e.name, `${path}.name`),
      attributes: keyValues(e.attributes, `${path}.attributes`)
    })),
    links: each(s, 'links', at).map(([l, path]) => ({
      traceId: hexId(l.traceId, 16, `${path}.traceId`),
      spanId: hexId(l.spanId, 8, `${path}.spanId`),
      attributes: keyValues(l.attributes, `${path}.attributes`)
    })),
    status: {
      message: string(status.message, `${at}.status.message`),
      code: enumValue(status.code, `${at}.status.code`)
    },
    flags: uint32(s.flags, `${at}.flags`),
    resource,
    scope
  }
}

function decodeLogRecord (
  r: JsonObject,
  at: string,
  resource: ReceivedLogRecord['resource'],
  scope: ReceivedLogRecord['scope']
): ReceivedLogRecord {
  return {
    timeUnixNano: int64(r.timeUnixNano, `${at}.timeUnixNano`),
    severityNumber: enumValue(r.severityNumber, `${at}.severityNumber`),
    severityText: string(r.severityText, `${at}.severityText`),
    body: anyValue(r.body, `${at}.body`),
    attributes: keyValues(r.attributes, `${at}.attributes`),
    droppedAttributesCount: uint32(r.droppedAttributesCount, `${at}.droppedAttributesCount`),
    flags: uint32(r.flags, `${at}.flags`),
    traceId: hexId(r.traceId, 16, `${at}.traceId`),
    spanId: hexId(r.spanId, 8, `${at}.spanId`),
    observedTimeUnixNano: int64(r.observedTimeUnixNano, `${at}.observedTimeUnixNano`),
    eventName: string(r.eventName, `${at}.eventName`),
    resource,
    scope
  }
}
