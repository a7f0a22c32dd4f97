import { readFields, WIRE_BYTES } from '../sdk/export/protobuf/protowire.js'
import { decodeJsonLogsRequest, decodeJsonTraceRequest } from './decode-json.js'
import { decodeJsonMetricsRequest } from './decode-json-metrics.js'
import { decodeLogsRequest } from './decode-logs.js'
import { decodeMetricsRequest } from './decode-metrics.js'
import { decodeTraceRequest } from './decode-traces.js'
import { each, parseJsonMessage } from './json-values.js'
import type { BodyFormat, DecodedItems, Signal } from './receiver-types.js'

/**
 * Picks the decoder for a request's signal and body format, and counts a request's items without
 * decoding them (the receiver's countOnly mode). Both throw on a malformed body.
 */

export function decodeRequest (signal: Signal, format: BodyFormat, body: Buffer): DecodedItems {
  const json = format === 'json'
  switch (signal) {
    case 'traces':
      return { signal, items: json ? decodeJsonTraceRequest(body) : decodeTraceRequest(body) }
    case 'logs':
      return { signal, items: json ? decodeJsonLogsRequest(body) : decodeLogsRequest(body) }
    case 'metrics':
      return { signal, items: json ? decodeJsonMetricsRequest(body) : decodeMetricsRequest(body) }
  }
}

/** Each signal's resource container, scope container and item keys in OTLP/JSON. */
const JSON_KEYS: Record<Signal, [string, string, string]> = {
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics']
}

/**
 * Spans, log records or metrics in a request. In protobuf the three signals share their field
 * numbers: resource_* (1) > scope_* (2) > items (2), walked without decoding the items.
 */
export function countItems (signal: Signal, format: BodyFormat, body: Buffer): number {
  let count = 0
  if (format === 'json') {
    const [resources, scopes, items] = JSON_KEYS[signal]
    for (const [resource, at] of each(parseJsonMessage(body), resources, '')) {
      for (const [scope, path] of each(resource, scopes, at)) count += each(scope, items, path).length
    }
    return count
  }
  for (const resource of readFields(body)) {
    if (resource.field !== 1 || resource.wire !== WIRE_BYTES) continue
    for (const scope of readFields(resource.value as Buffer)) {
      if (scope.field !== 2 || scope.wire !== WIRE_BYTES) continue
      for (const field of readFields(scope.value as Buffer)) if (field.field === 2 && field.wire === WIRE_BYTES) count++
    }
  }
  return count
}
