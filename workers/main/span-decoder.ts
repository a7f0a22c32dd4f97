import type { Attributes, HrTime, Link, SpanContext, SpanStatus } from '@opentelemetry/api'
import { addHrTimes } from '@opentelemetry/core'
import type { TimedEvent } from '@opentelemetry/sdk-trace'
import type { SpanRecord } from '../../sdk/traces/fast-span.js'
import { StrictTraceState } from '../../context/trace-state.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import { PACKAGE_SCOPE, REMOTE_FLAG, SAME_SCOPE } from '../protocol/relayed-spans.js'

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

export type Scope = { name: string; version?: string; schemaUrl?: string }

/**
 * Main side: reads the flat spans of a reply (protocol/relayed-spans.ts) one at a time, as records
 * for the main pipeline, each with the worker's `thread.id` and its instrumentation scope. Times
 * are moved onto the dispatch span's clock and kept inside its window, so no waterfall shows a
 * worker span starting before the dispatch that caused it.
 */
const OWN_SCOPE: Scope = { name: PACKAGE_NAME, version: PACKAGE_VERSION }

export class SpanDecoder {
  private scope: Scope = OWN_SCOPE

  /** `traceId`: the dispatch span's, which a task's first span leaves out. */
  constructor (
    private readonly fields: readonly unknown[],
    private at: number,
    private readonly threadId: number,
    private traceId: string
  ) {}

  /** Where the next span starts, or, after the last, what follows the spans (log records). */
  get position (): number {
    return this.at
  }

  next (window: TimeWindow): { record: SpanRecord; scope: Scope } {
    // Threads read one clock through their own time origins, which can disagree by a fraction of
    // a millisecond: clamping keeps the waterfall truthful about nesting whatever that skew is.
    const place = (seconds: number, nanos: number): HrTime => {
      const moved: HrTime = window.shift === undefined ? [seconds, nanos] : addHrTimes([seconds, nanos], window.shift)
      if (window.notBefore !== undefined && isBefore(moved, window.notBefore)) return window.notBefore
      if (window.notAfter !== undefined && isBefore(window.notAfter, moved)) return window.notAfter
      return moved
    }
    const name = this.string()
    const kind = this.number()
    const traceId = this.string()
    if (traceId !== '') this.traceId = traceId
    const spanId = this.string()
    const parentSpanId = this.string()
    const flags = this.number()
    const traceFlags = flags & 0xff
    const traceState = this.string()
    const startTime = place(this.number(), this.number())
    let endTime = place(this.number(), this.number())
    if (isBefore(endTime, startTime)) endTime = startTime
    const statusCode = this.number()
    const statusMessage = this.string()
    const droppedAttributesCount = this.number()
    const droppedEventsCount = this.number()
    const droppedLinksCount = this.number()
    const scopeMark = this.fields[this.at]
    if (scopeMark === SAME_SCOPE) {
      this.at++
    } else if (scopeMark === PACKAGE_SCOPE) {
      this.at++
      this.scope = OWN_SCOPE
    } else {
      const scope: Scope = { name: this.string() }
      const version = this.string()
      const schemaUrl = this.string()
      if (version !== '') scope.version = version
      if (schemaUrl !== '') scope.schemaUrl = schemaUrl
      this.scope = scope
    }
    const attributes = this.attributes()
    attributes['thread.id'] = this.threadId
    const eventCount = this.number()
    const events: TimedEvent[] = []
    for (let i = 0; i < eventCount; i++) {
      const eventName = this.string()
      const time = place(this.number(), this.number())
      const dropped = this.number()
      const eventAttributes = this.attributes()
      events.push({ name: eventName, time, attributes: eventAttributes, droppedAttributesCount: dropped })
    }
    const linkCount = this.number()
    const links: Link[] = []
    for (let i = 0; i < linkCount; i++) {
      const context: SpanContext = { traceId: this.string(), spanId: this.string(), traceFlags: 0 }
      const linkFlags = this.number()
      context.traceFlags = linkFlags & 0xff
      if ((linkFlags & REMOTE_FLAG) !== 0) context.isRemote = true
      const linkState = this.string()
      if (linkState !== '') context.traceState = StrictTraceState.parse(linkState)
      const dropped = this.number()
      const linkAttributes = this.attributes()
      const link: Link = { context }
      if (Object.keys(linkAttributes).length > 0) link.attributes = linkAttributes
      if (dropped > 0) link.droppedAttributesCount = dropped
      links.push(link)
    }
    const spanContext: SpanContext = { traceId: this.traceId, spanId, traceFlags, isRemote: false }
    if (traceState !== '') spanContext.traceState = StrictTraceState.parse(traceState)
    const status: SpanStatus =
      statusMessage === '' ? { code: statusCode } : { code: statusCode, message: statusMessage }
    const record: SpanRecord = {
      name,
      kind,
      spanContext,
      // The parent lives in this process (the dispatch span or another worker span): not remote.
      parentSpanContext:
        parentSpanId === ''
          ? undefined
          : { traceId: this.traceId, spanId: parentSpanId, traceFlags, isRemote: (flags & REMOTE_FLAG) !== 0 },
      startTime,
      endTime,
      status,
      attributes,
      links,
      events,
      droppedAttributesCount,
      droppedEventsCount,
      droppedLinksCount
    }
    return { record, scope: this.scope }
  }

  private string (): string {
    return this.fields[this.at++] as string
  }

  private number (): number {
    return this.fields[this.at++] as number
  }

  private attributes (): Attributes {
    const count = this.number()
    const attributes: Attributes = {}
    for (let i = 0; i < count; i++) {
      const key = this.string()
      attributes[key] = this.fields[this.at++] as Attributes[string]
    }
    return attributes
  }
}

/** `a` earlier than `b` (core has no comparison for HrTime). */
function isBefore (a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])
}
