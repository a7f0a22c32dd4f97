import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus, SpanStatusCode } from '@opentelemetry/api'
import { hrTimeDuration } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base'
import { StrictTraceState } from '../context/trace-state.js'
import { hrBefore, shiftHr } from './clock.js'

/**
 * An ended span as plain data, to travel from a worker thread to the main thread's pipeline. A
 * flat array rather than an object: it is structured-cloned with every reply, and the serializer
 * charges per object (see messages.ts). Absent strings are '', absent lists 0.
 */
export type RelayedSpan = [
  name: string, kind: SpanKind, traceId: string, spanId: string, traceFlags: number, traceState: string,
  parentSpanId: string, startSeconds: number, startNanos: number, endSeconds: number, endNanos: number,
  attributes: Attributes, events: RelayedEvent[] | 0, links: RelayedLink[] | 0, statusCode: SpanStatusCode,
  statusMessage: string, droppedAttributes: number, droppedEvents: number, droppedLinks: number,
  scopeName: string, scopeVersion: string, scopeSchemaUrl: string
]
type RelayedEvent = [name: string, seconds: number, nanos: number, attributes: Attributes | 0, dropped: number]
type RelayedLink = [traceId: string, spanId: string, traceFlags: number, traceState: string, attributes: Attributes | 0, dropped: number]

/**
 * Worker side: a finished span as plain data. `shiftMillis` moves every timestamp (the worker
 * re-bases SDK times, which are whole milliseconds, onto the precise shared clock).
 */
export function toRelayed (span: ReadableSpan, shiftMillis: number): RelayedSpan {
  const context = span.spanContext()
  const start = shiftHr(span.startTime, shiftMillis)
  const end = shiftHr(span.endTime, shiftMillis)
  const scope = span.instrumentationScope
  return [
    span.name, span.kind, context.traceId, context.spanId, context.traceFlags, context.traceState?.serialize() ?? '',
    span.parentSpanContext?.spanId ?? '', start[0], start[1], end[0], end[1],
    span.attributes,
    span.events.length === 0
      ? 0
      : span.events.map((e): RelayedEvent => {
        const time = shiftHr(e.time, shiftMillis)
        return [e.name, time[0], time[1], e.attributes ?? 0, e.droppedAttributesCount ?? 0]
      }),
    span.links.length === 0
      ? 0
      : span.links.map((l): RelayedLink => [
        l.context.traceId, l.context.spanId, l.context.traceFlags, l.context.traceState?.serialize() ?? '', l.attributes ?? 0, l.droppedAttributesCount ?? 0
      ]),
    span.status.code, span.status.message ?? '', span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount,
    scope.name, scope.version ?? '', scope.schemaUrl ?? ''
  ]
}

export interface TimeWindow {
  /** Added to every relayed time: the dispatch span's offset between its clock and the precise one. */
  shiftMillis: number
  /** No relayed time may be earlier than this (the dispatch span's start)... */
  notBefore: HrTime | undefined
  /** ...or later than this (when the reply arrived, before the dispatch span ends). */
  notAfter: HrTime | undefined
}

/**
 * Main side: a relayed span as the ReadableSpan the main pipeline exports, with the service's
 * resource and the worker's `thread.id`. Times are moved onto the dispatch span's clock and kept
 * inside its window, so no waterfall shows a worker span starting before the dispatch that
 * caused it.
 */
export function fromRelayed (relayed: RelayedSpan, resource: Resource, window: TimeWindow, threadId: number): ReadableSpan {
  // Threads read one clock through their own time origins, which can disagree by a fraction of
  // a millisecond: clamping keeps the waterfall truthful about nesting whatever that skew is.
  const place = (seconds: number, nanos: number): HrTime => {
    const moved = shiftHr([seconds, nanos], window.shiftMillis)
    if (window.notBefore !== undefined && hrBefore(moved, window.notBefore)) return window.notBefore
    if (window.notAfter !== undefined && hrBefore(window.notAfter, moved)) return window.notAfter
    return moved
  }
  const [
    name, kind, traceId, spanId, traceFlags, traceState, parentSpanId, startSeconds, startNanos, endSeconds, endNanos,
    attributes, relayedEvents, relayedLinks, statusCode, statusMessage, droppedAttributes, droppedEvents, droppedLinks,
    scopeName, scopeVersion, scopeSchemaUrl
  ] = relayed
  const startTime = place(startSeconds, startNanos)
  let endTime = place(endSeconds, endNanos)
  if (hrBefore(endTime, startTime)) endTime = startTime
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
  return {
    name,
    kind,
    spanContext: () => spanContext,
    // The parent lives in this process (the dispatch span or another worker span): not remote.
    parentSpanContext: parentSpanId === '' ? undefined : { traceId, spanId: parentSpanId, traceFlags, isRemote: false },
    startTime,
    endTime,
    duration: hrTimeDuration(startTime, endTime),
    ended: true,
    status,
    attributes,
    links,
    events,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: droppedAttributes,
    droppedEventsCount: droppedEvents,
    droppedLinksCount: droppedLinks
  }
}
