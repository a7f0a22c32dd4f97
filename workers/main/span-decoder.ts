import type { HrTime, Link, SpanContext, SpanStatus } from '@opentelemetry/api'
import { addHrTimes } from '@opentelemetry/core'
import type { TimedEvent } from '@opentelemetry/sdk-trace-base'
import type { SpanRecord } from '../../sdk/spans/fast-span.js'
import { StrictTraceState } from '../../context/trace-state.js'
import type { RelayedSpan } from '../protocol/relayed-span.js'

export interface TimeWindow {
  /**
   * Added to every relayed time: the dispatch span's offset between its clock and the precise one
   * (a normalised HrTime, as hrTimeDuration gives). Undefined: no shift.
   */
  shift: HrTime | undefined
  /** No relayed time may be earlier than this (the dispatch span's start)... */
  notBefore: HrTime | undefined
  /** ...or later than this (when the reply arrived, before the dispatch span ends). */
  notAfter: HrTime | undefined
}

/**
 * Main side: a relayed span as a record for the main pipeline, with the worker's `thread.id`, and
 * its instrumentation scope. Times are moved onto the dispatch span's clock and kept inside its
 * window, so no waterfall shows a worker span starting before the dispatch that caused it.
 */
export function fromRelayed (relayed: RelayedSpan, window: TimeWindow, threadId: number): { record: SpanRecord, scope: { name: string, version?: string, schemaUrl?: string } } {
  // Threads read one clock through their own time origins, which can disagree by a fraction of
  // a millisecond: clamping keeps the waterfall truthful about nesting whatever that skew is.
  const place = (seconds: number, nanos: number): HrTime => {
    const moved: HrTime = window.shift === undefined ? [seconds, nanos] : addHrTimes([seconds, nanos], window.shift)
    if (window.notBefore !== undefined && isBefore(moved, window.notBefore)) return window.notBefore
    if (window.notAfter !== undefined && isBefore(window.notAfter, moved)) return window.notAfter
    return moved
  }
  const [
    name, kind, traceId, spanId, traceFlags, traceState, parentSpanId, startSeconds, startNanos, endSeconds, endNanos,
    attributes, relayedEvents, relayedLinks, statusCode, statusMessage, droppedAttributes, droppedEvents, droppedLinks,
    scopeName, scopeVersion, scopeSchemaUrl
  ] = relayed
  const startTime = place(startSeconds, startNanos)
  let endTime = place(endSeconds, endNanos)
  if (isBefore(endTime, startTime)) endTime = startTime
  // The attributes object is this reply's own copy (structured clone): extending it is safe.
  attributes['thread.id'] = threadId
  const spanContext: SpanContext = { traceId, spanId, traceFlags, isRemote: false }
  if (traceState !== '') spanContext.traceState = StrictTraceState.parse(traceState)
  const events: TimedEvent[] = relayedEvents === 0
    ? []
    : relayedEvents.map(([eventName, seconds, nanos, eventAttributes, dropped]) => ({
      name: eventName,
      time: place(seconds, nanos),
      ...(eventAttributes === 0 ? {} : { attributes: eventAttributes }),
      droppedAttributesCount: dropped
    }))
  const links: Link[] = relayedLinks === 0
    ? []
    : relayedLinks.map(([linkTraceId, linkSpanId, linkFlags, linkState, linkAttributes, dropped]) => {
      const context: SpanContext = { traceId: linkTraceId, spanId: linkSpanId, traceFlags: linkFlags }
      if (linkState !== '') context.traceState = StrictTraceState.parse(linkState)
      const link: Link = { context }
      if (linkAttributes !== 0) link.attributes = linkAttributes
      if (dropped > 0) link.droppedAttributesCount = dropped
      return link
    })
  const status: SpanStatus = statusMessage === '' ? { code: statusCode } : { code: statusCode, message: statusMessage }
  const scope: { name: string, version?: string, schemaUrl?: string } = { name: scopeName }
  if (scopeVersion !== '') scope.version = scopeVersion
  if (scopeSchemaUrl !== '') scope.schemaUrl = scopeSchemaUrl
  const record: SpanRecord = {
    name,
    kind,
    spanContext,
    // The parent lives in this process (the dispatch span or another worker span): not remote.
    parentSpanContext: parentSpanId === '' ? undefined : { traceId, spanId: parentSpanId, traceFlags, isRemote: false },
    startTime,
    endTime,
    status,
    attributes,
    links,
    events,
    droppedAttributesCount: droppedAttributes,
    droppedEventsCount: droppedEvents,
    droppedLinksCount: droppedLinks
  }
  return { record, scope }
}

/** `a` earlier than `b` (core has no comparison for HrTime). */
function isBefore (a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])
}
