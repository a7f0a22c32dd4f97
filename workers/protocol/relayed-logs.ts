/**
 * Log records made in a worker task, for the trip home after the task's spans in its reply
 * (messages.ts). They follow the last span as one run of plain values: the number of records,
 * then for each:
 *   seconds, nanos, observedSeconds, observedNanos, severityNumber, severityText, body, eventName,
 *   traceId, spanId, traceFlags, droppedAttributes, scopeName, scopeVersion, scopeSchemaUrl, attributes
 * Absent strings and numbers are '' and 0; body and attributes are the record's own values (maps
 * and lists included: structured clone copies them). A reply without records ends with its spans,
 * as a reply of a worker side without log relay does.
 */
export interface RecordBatch {
  readonly fields: unknown[]
  count: number
}

/** Fields per record. */
export const RECORD_FIELDS = 16
