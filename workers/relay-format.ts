import {
  type Attributes, type HrTime, type Link, type SpanContext, type SpanKind, type SpanStatus
} from '@opentelemetry/api'
import { hrTimeDuration } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base'
import { StrictTraceState } from '../context/trace-state.js'
import { hrBefore, shiftHr } from './clock.js'

/** An ended span as plain data, to travel from a worker thread to the main thread's pipeline. */
export interface RelayedSpan {
  name: string
  kind: SpanKind
  traceId: string
  spanId: string
  traceFlags: number
  traceState?: string
  parentSpanId?: string
  start: HrTime
  end: HrTime
  attributes: Attributes
  events: Array<{ name: string, time: HrTime, attributes?: Attributes, droppedAttributesCount?: number }>
  links: Array<{ traceId: string, spanId: string, traceFlags: number, traceState?: string, attributes?: Attributes, droppedAttributesCount?: number }>
  status: SpanStatus
  droppedAttributesCount: number
  droppedEventsCount: number
  droppedLinksCount: number
  scope: { name: string, version?: string, schemaUrl?: string }
}

/**
 * Worker side: a finished span as plain data. `shiftMillis` moves every timestamp (the worker
 * re-bases SDK times, which are whole milliseconds, onto the precise shared clock).
 */
export function toRelayed (span: ReadableSpan, shiftMillis: number, extraAttributes: Attributes): RelayedSpan {
  const context = span.spanContext()
  const relayed: RelayedSpan = {
    name: span.name,
    kind: span.kind,
    traceId: context.traceId,
    spanId: context.spanId,
    traceFlags: context.traceFlags,
    start: shiftHr(span.startTime, shiftMillis),
    end: shiftHr(span.endTime, shiftMillis),
    attributes: { ...span.attributes, ...extraAttributes },
    events: span.events.map((e) => ({
      name: e.name,
      time: shiftHr(e.time, shiftMillis),
      ...(e.attributes === undefined ? {} : { attributes: e.attributes }),
      ...(e.droppedAttributesCount === undefined ? {} : { droppedAttributesCount: e.droppedAttributesCount })
    })),
    links: span.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      traceFlags: l.context.traceFlags,
      ...(l.context.traceState === undefined ? {} : { traceState: l.context.traceState.serialize() }),
      ...(l.attributes === undefined ? {} : { attributes: l.attributes }),
      ...(l.droppedAttributesCount === undefined ? {} : { droppedAttributesCount: l.droppedAttributesCount })
    })),
    status: { ...span.status },
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
    scope: { name: span.instrumentationScope.name }
  }
  if (context.traceState !== undefined) relayed.traceState = context.traceState.serialize()
  if (span.parentSpanContext !== undefined) relayed.parentSpanId = span.parentSpanContext.spanId
  if (span.instrumentationScope.version !== undefined) relayed.scope.version = span.instrumentationScope.version
  if (span.instrumentationScope.schemaUrl !== undefined) relayed.scope.schemaUrl = span.instrumentationScope.schemaUrl
  return relayed
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
 * resource. Times are moved onto the dispatch span's clock and kept inside its window, so no
 * waterfall shows a worker span starting before the dispatch that caused it.
 */
export function fromRelayed (relayed: RelayedSpan, resource: Resource, window: TimeWindow): ReadableSpan {
  // Threads read one clock through their own time origins, which can disagree by a fraction of
  // a millisecond: clamping keeps the waterfall truthful about nesting whatever that skew is.
  const place = (time: HrTime): HrTime => {
    const moved = shiftHr(time, window.shiftMillis)
    if (window.notBefore !== undefined && hrBefore(moved, window.notBefore)) return window.notBefore
    if (window.notAfter !== undefined && hrBefore(window.notAfter, moved)) return window.notAfter
    return moved
  }
  const startTime = place(relayed.start)
  let endTime = place(relayed.end)
  if (hrBefore(endTime, startTime)) endTime = startTime
  const spanContext: SpanContext = {
    traceId: relayed.traceId,
    spanId: relayed.spanId,
    traceFlags: relayed.traceFlags,
    isRemote: false,
    ...(relayed.traceState === undefined ? {} : { traceState: StrictTraceState.parse(relayed.traceState) })
  }
  const events: TimedEvent[] = relayed.events.map((e) => ({
    name: e.name,
    time: place(e.time),
    ...(e.attributes === undefined ? {} : { attributes: e.attributes }),
    ...(e.droppedAttributesCount === undefined ? {} : { droppedAttributesCount: e.droppedAttributesCount })
  }))
  const links: Link[] = relayed.links.map((l) => ({
    context: {
      traceId: l.traceId,
      spanId: l.spanId,
      traceFlags: l.traceFlags,
      ...(l.traceState === undefined ? {} : { traceState: StrictTraceState.parse(l.traceState) })
    },
    ...(l.attributes === undefined ? {} : { attributes: l.attributes }),
    ...(l.droppedAttributesCount === undefined ? {} : { droppedAttributesCount: l.droppedAttributesCount })
  }))
  return {
    name: relayed.name,
    kind: relayed.kind,
    spanContext: () => spanContext,
    // The parent lives in this process (the dispatch span or another worker span): not remote.
    parentSpanContext: relayed.parentSpanId === undefined
      ? undefined
      : { traceId: relayed.traceId, spanId: relayed.parentSpanId, traceFlags: relayed.traceFlags, isRemote: false },
    startTime,
    endTime,
    duration: hrTimeDuration(startTime, endTime),
    ended: true,
    status: relayed.status,
    attributes: relayed.attributes,
    links,
    events,
    resource,
    instrumentationScope: relayed.scope,
    droppedAttributesCount: relayed.droppedAttributesCount,
    droppedEventsCount: relayed.droppedEventsCount,
    droppedLinksCount: relayed.droppedLinksCount
  }
}
