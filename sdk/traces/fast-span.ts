import {
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput
} from '@opentelemetry/api'
import {
  AddAttributeDecision,
  addHrTimes,
  cleanAttributes,
  cleanSimpleAttributes,
  hrTime,
  hrTimeDuration,
  hrTimeToMilliseconds,
  isTimeInput,
  isTimeInputHrTime,
  maybeAddAttribute,
  millisToHrTime
} from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace'
import { diag } from '../../context/otel-api.js'
import { truncatedCopy } from '../common/attribute-limits.js'
import type { SpanTarget } from './span-target.js'

// Shared initial values: a request creates several objects already, each one less is GC work.
const NOT_ENDED: HrTime = Object.freeze([0, 0]) as unknown as HrTime
const NO_DURATION: HrTime = Object.freeze([-1, -1]) as unknown as HrTime
const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET })
const NO_LINKS: readonly Link[] = Object.freeze([])
const NO_EVENTS: readonly TimedEvent[] = Object.freeze([])

/** An ended span as data (from another thread), for FastSpan.replay. */
export interface SpanRecord {
  name: string
  kind: SpanKind
  spanContext: SpanContext
  parentSpanContext: SpanContext | undefined
  startTime: HrTime
  endTime: HrTime
  attributes: Attributes
  events: TimedEvent[]
  links: Link[]
  status: SpanStatus
  droppedAttributesCount: number
  droppedEventsCount: number
  droppedLinksCount: number
}

/**
 * A span with the SDK Span's behaviour (limits, attribute validation for values set later, events,
 * links, status rules, exception events, time convention, processor calls), built by a
 * SpanFactory. A contract test holds it and the SDK Span to the same results.
 */
export class FastSpan implements Span, ReadableSpan {
  attributes: Attributes
  /** Shared empty lists until the first link or event: most request spans have neither. */
  links: Link[] = NO_LINKS as Link[]
  events: TimedEvent[] = NO_EVENTS as TimedEvent[]
  readonly startTime: HrTime
  endTime: HrTime = NOT_ENDED
  status: SpanStatus = UNSET_STATUS
  readonly resource: Resource
  readonly instrumentationScope: { name: string; version?: string }
  private attributesCount: number
  private droppedAttributes = 0
  private droppedEvents = 0
  private droppedLinks = 0
  private isEnded = false
  private spanDuration: HrTime = NO_DURATION
  /** The performance clock at the start: later readings are placed on this span's time line (span-clock.ts). */
  readonly performanceStart: number
  private readonly performanceOffset: number
  /** A start time given by the caller: the end then defaults to the wall clock (SDK 3's rule). */
  private readonly startTimeProvided: boolean

  constructor (
    private readonly factory: SpanTarget,
    private readonly context: SpanContext,
    public name: string,
    readonly kind: SpanKind,
    readonly parentSpanContext: SpanContext | undefined,
    trusted: Attributes,
    fromSampler: Attributes | undefined,
    startTime?: HrTime
  ) {
    // SDK 3's time convention: a Date.now() start, the end from the monotonic clock.
    const now = startTime === undefined ? Date.now() : hrTimeToMilliseconds(startTime)
    this.performanceStart = performance.now()
    this.performanceOffset = now - (this.performanceStart + performance.timeOrigin)
    this.startTimeProvided = startTime !== undefined
    this.startTime = startTime ?? millisToHrTime(now)
    this.resource = factory.resource
    this.instrumentationScope = factory.scope
    const { attributeCountLimit, attributeValueLengthLimit } = factory.limits
    const keys = fromSampler === undefined ? keysWithin(trusted, attributeValueLengthLimit) : -1
    if (keys !== -1 && keys <= attributeCountLimit) {
      this.attributes = trusted
      this.attributesCount = keys
    } else {
      // A limit bites (or sampler attributes): the SDK Tracer's two cleaning passes, as it runs them.
      const first = cleanAttributes(trusted, UNLIMITED)
      const merged = fromSampler === undefined ? first.attributes! : Object.assign(first.attributes!, fromSampler)
      const second = cleanAttributes(merged, factory.limits)
      this.attributes = detachTruncated(second.attributes!, merged, attributeValueLengthLimit)
      this.attributesCount = countKeys(this.attributes)
      this.droppedAttributes = (first.droppedAttributesCount ?? 0) + (second.droppedAttributesCount ?? 0)
    }
  }

  /**
   * A span that already happened elsewhere (a worker thread) enters this pipeline with the SDK's
   * whole call sequence: onStart with its parent's context, then its events and status, then end
   * (onEnding, onEnd). The record's values were validated and limited where the span was made.
   */
  static replay (target: SpanTarget, record: SpanRecord, parentContext: Context): void {
    const span = new FastSpan(
      target,
      record.spanContext,
      record.name,
      record.kind,
      record.parentSpanContext,
      record.attributes,
      undefined,
      record.startTime
    )
    span.droppedAttributes = record.droppedAttributesCount
    if (record.links.length > 0) span.links = record.links
    span.droppedLinks = record.droppedLinksCount
    target.processor.onStart(span as never, parentContext)
    if (record.events.length > 0) span.events = record.events
    span.droppedEvents = record.droppedEventsCount
    span.status = record.status
    span.end(record.endTime)
  }

  spanContext (): SpanContext {
    return this.context
  }

  get duration (): HrTime {
    return this.spanDuration
  }

  get ended (): boolean {
    return this.isEnded
  }

  get droppedAttributesCount (): number {
    return this.droppedAttributes
  }

  get droppedEventsCount (): number {
    return this.droppedEvents
  }

  get droppedLinksCount (): number {
    return this.droppedLinks
  }

  isRecording (): boolean {
    return !this.isEnded
  }

  setAttribute (key: string, value?: AttributeValue): this {
    if (this.endedAlready()) return this
    const limits = this.factory.limits
    if (
      (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') &&
      key.length > 0 &&
      limits.attributeValueLengthLimit > 0
    ) {
      return this.setPrimitiveAttribute(key, value, limits.attributeValueLengthLimit)
    }
    const decision = maybeAddAttribute({
      key,
      value,
      attributes: this.attributes,
      limits,
      currentAttributesCount: this.attributesCount
    })
    if (decision === AddAttributeDecision.DROP_LIMIT_REACHED) {
      if (++this.droppedAttributes === 1) diag.warn('Dropping extra attributes.')
    } else if (decision === AddAttributeDecision.ADD_NEW) {
      this.attributesCount++
    }
    // The SDK cuts with substring, which in V8 keeps the whole original string alive for as long
    // as the span is queued; a copy keeps only what is exported (attribute-limits.ts).
    if (
      typeof value === 'string' &&
      value.length > limits.attributeValueLengthLimit &&
      decision >= AddAttributeDecision.ADD_NEW
    ) {
      this.attributes[key] = truncatedCopy(value, limits.attributeValueLengthLimit)
    }
    return this
  }

  /**
   * setAttribute for a string, number or boolean under a non-empty key, with the same outcome as the
   * SDK's checks (the count limit, strings cut at the length limit) without them: they look for
   * cycles in nested values with a WeakSet made on every call, whatever the value. The request span
   * gets several on every request (its coverage, the status code).
   */
  private setPrimitiveAttribute (key: string, value: string | number | boolean, lengthLimit: number): this {
    if (!Object.prototype.hasOwnProperty.call(this.attributes, key)) {
      if (this.attributesCount >= this.factory.limits.attributeCountLimit) {
        if (++this.droppedAttributes === 1) diag.warn('Dropping extra attributes.')
        return this
      }
      this.attributesCount++
    }
    // A copy, not the SDK's substring, which in V8 keeps the whole original string alive for as
    // long as the span is queued (attribute-limits.ts).
    const cut = typeof value === 'string' && value.length > lengthLimit
    this.attributes[key] = cut ? truncatedCopy(value, lengthLimit) : value
    return this
  }

  setAttributes (attributes: Attributes): this {
    for (const key in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key])
    }
    return this
  }

  addEvent (name: string, attributesOrStartTime?: Attributes | TimeInput, timeStamp?: TimeInput): this {
    if (this.endedAlready()) return this
    const { eventCountLimit, attributePerEventCountLimit, attributeValueLengthLimit } = this.factory.limits
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.')
      this.droppedEvents++
      return this
    }
    if (this.events === NO_EVENTS) this.events = []
    if (this.events.length >= eventCountLimit) {
      if (this.droppedEvents === 0) diag.debug('Dropping extra events.')
      this.events.shift()
      this.droppedEvents++
    }
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(timeStamp)) timeStamp = attributesOrStartTime
      attributesOrStartTime = undefined
    }
    // Event attributes stay "simple" values in SDK 3 (primitives and homogeneous arrays).
    const cleaned = cleanSimpleAttributes(attributesOrStartTime as Attributes | undefined, {
      attributeCountLimit: attributePerEventCountLimit,
      attributeValueLengthLimit
    })
    this.events.push({ name, time: this.time(timeStamp), ...cleaned })
    return this
  }

  addLink (link: Link): this {
    if (this.endedAlready()) return this
    const { linkCountLimit, attributePerLinkCountLimit, attributeValueLengthLimit } = this.factory.limits
    if (linkCountLimit === 0) {
      this.droppedLinks++
      return this
    }
    if (this.links === NO_LINKS) this.links = []
    if (this.links.length >= linkCountLimit) {
      if (this.droppedLinks === 0) diag.debug('Dropping extra links.')
      this.links.shift()
      this.droppedLinks++
    }
    this.links.push({
      context: link.context,
      ...cleanAttributes(link.attributes, {
        attributeCountLimit: attributePerLinkCountLimit,
        attributeValueLengthLimit
      })
    })
    return this
  }

  addLinks (links: Link[]): this {
    for (const link of links) this.addLink(link)
    return this
  }

  setStatus (status: SpanStatus): this {
    if (this.endedAlready()) return this
    // UNSET never overrides, and OK is final (specification).
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this
    const next: SpanStatus = { code: status.code }
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') {
        next.message = status.message
      } else if (status.message !== null && status.message !== undefined) {
        diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`)
      }
    }
    this.status = next
    return this
  }

  updateName (name: string): this {
    if (!this.endedAlready()) this.name = name
    return this
  }

  recordException (exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {}
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception
    } else if (exception !== null && exception !== undefined) {
      if (exception.code) attributes['exception.type'] = exception.code.toString()
      else if (exception.name) attributes['exception.type'] = exception.name
      if (exception.message) attributes['exception.message'] = exception.message
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack
    }
    if (attributes['exception.type'] !== undefined || attributes['exception.message'] !== undefined) {
      this.addEvent('exception', attributes, time)
    } else {
      diag.warn(`Failed to record an exception ${String(exception)}`)
    }
  }

  end (endTime?: TimeInput): void {
    if (this.isEnded) {
      diag.error(
        `${this.name} ${this.context.traceId}-${this.context.spanId} - You can only call end() on a span once.`
      )
      return
    }
    this.endTime = this.time(endTime)
    this.spanDuration = hrTimeDuration(this.startTime, this.endTime)
    if (this.spanDuration[0] < 0) {
      diag.warn(
        'Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.',
        this.startTime,
        this.endTime
      )
      this.endTime = [this.startTime[0], this.startTime[1]]
      this.spanDuration = [0, 0]
    }
    if (this.droppedEvents > 0) diag.warn(`Dropped ${this.droppedEvents} events because eventCountLimit reached`)
    if (this.droppedLinks > 0) diag.warn(`Dropped ${this.droppedLinks} links because linkCountLimit reached`)
    // The SDK's order: onEnding while the span is still writable, then ended, then onEnd.
    this.factory.processor.onEnding?.(this as never)
    this.isEnded = true
    this.factory.processor.onEnd(this as never)
  }

  /** SDK 3's reading of a time input: a performance timestamp, epoch millis, a Date or an HrTime. */
  private time (input?: TimeInput): HrTime {
    if (typeof input === 'number') {
      return input <= performance.now() ? hrTime(input + this.performanceOffset) : millisToHrTime(input)
    }
    if (input instanceof Date) return millisToHrTime(input.getTime())
    if (isTimeInputHrTime(input)) return input as HrTime
    if (this.startTimeProvided) return millisToHrTime(Date.now())
    return addHrTimes(this.startTime, millisToHrTime(performance.now() - this.performanceStart))
  }

  private endedAlready (): boolean {
    if (this.isEnded) {
      diag.warn(
        `Cannot execute the operation on ended Span {traceId: ${this.context.traceId}, spanId: ${this.context.spanId}}`,
        new Error('Operation attempted on ended Span')
      )
    }
    return this.isEnded
  }
}

/** No limit: the Tracer's first cleaning pass only drops what is not a valid value. */
const UNLIMITED = Object.freeze({ attributeCountLimit: Infinity, attributeValueLengthLimit: Infinity })

/** `cleaned` with every string the limit cut made a copy of its own (see setAttribute). */
function detachTruncated (cleaned: Attributes, source: Attributes, limit: number): Attributes {
  if (!Number.isFinite(limit)) return cleaned
  for (const key in cleaned) {
    const original = source[key]
    if (typeof original === 'string' && original.length > limit) cleaned[key] = truncatedCopy(original, limit)
  }
  return cleaned
}

/**
 * Own keys of `attributes`, or -1 when a string value (or one in an array) is longer than
 * `limit`: one pass where counting and checking took two (once per request span).
 */
function keysWithin (attributes: Attributes, limit: number): number {
  let count = 0
  const finite = Number.isFinite(limit)
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue
    count++
    if (!finite) continue
    const value = attributes[key]
    if (typeof value === 'string') {
      if (value.length > limit) return -1
    } else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string' && item.length > limit) return -1
    }
  }
  return count
}

/** Own keys, counted without the array Object.keys would allocate (once per request span). */
function countKeys (attributes: Attributes): number {
  let count = 0
  for (const key in attributes) if (Object.prototype.hasOwnProperty.call(attributes, key)) count++
  return count
}
