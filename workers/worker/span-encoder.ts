import type { HrTime } from '@opentelemetry/api'
import { addHrTimes } from '@opentelemetry/core'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import type { RelayedEvent, RelayedLink, RelayedSpan } from '../protocol/relayed-span.js'

/**
 * A finished span as plain data, for the trip home. `shift` moves every timestamp (the worker
 * re-bases SDK times, which are whole milliseconds, onto the precise clock all threads share); it
 * is a normalised HrTime (hrTimeDuration's form), so addHrTimes also moves times backwards.
 */
export function toRelayed (span: ReadableSpan, shift: HrTime | undefined): RelayedSpan {
  const move = (time: HrTime): HrTime => (shift === undefined ? time : addHrTimes(time, shift))
  const context = span.spanContext()
  const start = move(span.startTime)
  const end = move(span.endTime)
  const scope = span.instrumentationScope
  return [
    span.name, span.kind, context.traceId, context.spanId, context.traceFlags, context.traceState?.serialize() ?? '',
    span.parentSpanContext?.spanId ?? '', start[0], start[1], end[0], end[1],
    span.attributes,
    span.events.length === 0
      ? 0
      : span.events.map((e): RelayedEvent => {
        const time = move(e.time)
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
