import type { Attributes, HrTime } from '@opentelemetry/api'
import { addHrTimes } from '@opentelemetry/core'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import { PACKAGE_SCOPE, REMOTE_FLAG, SAME_SCOPE, type SpanBatch } from '../protocol/relayed-spans.js'

/**
 * Appends a finished span to `batch` in the flat form of relayed-spans.ts. `shift` moves every
 * timestamp (the worker re-bases SDK times, which are whole milliseconds, onto the precise clock
 * all threads share); it is a normalised HrTime (hrTimeDuration's form), so addHrTimes also moves
 * times backwards.
 */
export function encodeSpan (batch: SpanBatch, span: ReadableSpan, shift: HrTime | undefined): void {
  const out = batch.fields
  const context = span.spanContext()
  const start = shift === undefined ? span.startTime : addHrTimes(span.startTime, shift)
  const end = shift === undefined ? span.endTime : addHrTimes(span.endTime, shift)
  out.push(
    span.name,
    span.kind,
    context.traceId === batch.lastTraceId ? '' : context.traceId,
    context.spanId,
    span.parentSpanContext?.spanId ?? '',
    span.parentSpanContext?.isRemote === true ? context.traceFlags | REMOTE_FLAG : context.traceFlags,
    context.traceState?.serialize() ?? '',
    start[0],
    start[1],
    end[0],
    end[1],
    span.status.code,
    span.status.message ?? '',
    span.droppedAttributesCount,
    span.droppedEventsCount,
    span.droppedLinksCount
  )
  batch.lastTraceId = context.traceId
  const scope = span.instrumentationScope
  if (scope === batch.lastScope) {
    out.push(SAME_SCOPE)
  } else if (scope.name === PACKAGE_NAME && scope.version === PACKAGE_VERSION && scope.schemaUrl === undefined) {
    out.push(PACKAGE_SCOPE)
    batch.lastScope = scope
  } else {
    out.push(scope.name, scope.version ?? '', scope.schemaUrl ?? '')
    batch.lastScope = scope
  }
  pushAttributes(out, span.attributes)
  out.push(span.events.length)
  for (const event of span.events) {
    const time = shift === undefined ? event.time : addHrTimes(event.time, shift)
    out.push(event.name, time[0], time[1], event.droppedAttributesCount ?? 0)
    pushAttributes(out, event.attributes)
  }
  out.push(span.links.length)
  for (const link of span.links) {
    out.push(
      link.context.traceId,
      link.context.spanId,
      link.context.isRemote === true ? link.context.traceFlags | REMOTE_FLAG : link.context.traceFlags,
      link.context.traceState?.serialize() ?? '',
      link.droppedAttributesCount ?? 0
    )
    pushAttributes(out, link.attributes)
  }
  batch.count++
}

function pushAttributes (out: unknown[], attributes: Attributes | undefined): void {
  const countAt = out.length
  out.push(0)
  if (attributes === undefined) return
  let count = 0
  for (const key in attributes) {
    const value = attributes[key]
    if (value === undefined) continue
    out.push(key, value)
    count++
  }
  out[countAt] = count
}
