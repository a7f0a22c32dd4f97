import type { InstrumentationScope } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import type { ReusingSerializer } from '../otlp-item-exporter.js'
import { writeResource, writeScope } from './otlp-common.js'
import { ProtoWriter, varintSize, WIRE_LENGTH } from './proto-writer.js'
import { RequestBuffers } from './request-buffers.js'

/** What a span and a log record have in common for the request around them. */
export interface ScopedItem {
  readonly resource: Resource
  readonly instrumentationScope: InstrumentationScope
}

/** Writes one item's message (a Span, a LogRecord) without its key and length. */
export type ItemWriter<T> = (writer: ProtoWriter, item: T) => void

/** Writes the entries of one scope group's items (each with its key and length). */
export type GroupWriter<T> = (writer: ProtoWriter, items: readonly T[]) => void

/** The items' entries in ScopeSpans / ScopeLogs: field 2, one message each. */
export const ITEMS_FIELD = 2

/** One item's whole entry (key, length, message), written from the object. */
export function entryWriter<T> (writeItem: ItemWriter<T>): (writer: ProtoWriter, item: T) => void {
  return (writer, item) => {
    writer.key(ITEMS_FIELD, WIRE_LENGTH)
    const start = writer.beginSized()
    writeItem(writer, item)
    writer.endSized(start)
  }
}

/** A group's entries written from the objects, one after the other. */
export function objectGroupWriter<T> (writeItem: ItemWriter<T>): GroupWriter<T> {
  const writeEntry = entryWriter(writeItem)
  return (writer, items) => {
    for (let i = 0; i < items.length; i++) writeEntry(writer, items[i]!)
  }
}

interface ScopeGroup<T> {
  scope: InstrumentationScope
  items: T[]
}

interface ResourceGroup<T> {
  resource: Resource
  scopes: ScopeGroup<T>[]
}

/**
 * An export request (ExportTraceServiceRequest, ExportLogsServiceRequest: the same shape) for
 * `items`: grouped by the identity of their resource and then of their scope, as upstream groups
 * them, each resource and scope written once per group.
 *
 * The items are written first, each group behind room for its headers; the headers (whose
 * lengths are known only then) go in afterwards, right-aligned, and later groups move up to close
 * the gaps. One group, the usual case, moves nothing.
 */
export class OtlpRequestEncoder<T extends ScopedItem> {
  /** Bytes per item of the last request, to size the next one's buffer. */
  private bytesPerItem = 256
  /** The resource and scope messages of the request being written (small, reused). */
  private readonly heads = new ProtoWriter(1024)
  private readonly buffers = new RequestBuffers()

  constructor (private readonly writeGroup: GroupWriter<T>) {}

  /**
   * The request's bytes, in memory no other request uses until they are handed back (`release`):
   * the transport may still hold them when the next request is written.
   */
  encode (items: readonly T[]): Uint8Array {
    const groups = groupByScope(items)
    const writer = new ProtoWriter(this.buffers.take(Math.ceil(items.length * this.bytesPerItem * 1.25) + 256))
    const heads = this.heads
    heads.pos = 0
    const layout: GroupLayout[] = []
    for (const group of groups) {
      const resourceStart = heads.pos
      writeResource(heads, 1, group.resource)
      const resourceEnd = heads.pos
      let first = true
      for (const scoped of group.scopes) {
        const scopeStart = heads.pos
        writeScope(heads, 1, scoped.scope)
        const scopeEnd = heads.pos
        // Room for: [ResourceSpans key, length, resource] before a resource's first scope, then
        // [ScopeSpans key, length, scope]; lengths take at most 5 bytes.
        const room = (first ? 6 + resourceEnd - resourceStart : 0) + 6 + scopeEnd - scopeStart
        writer.ensure(room)
        writer.pos += room
        const itemsStart = writer.pos
        this.writeGroup(writer, scoped.items)
        const schema = scoped.scope.schemaUrl
        if (schema) {
          writer.key(3, WIRE_LENGTH)
          writer.string(schema)
        }
        layout.push({
          contentStart: itemsStart,
          scopeEnd: writer.pos,
          tailEnd: writer.pos,
          resource: first ? [resourceStart, resourceEnd] : undefined,
          scope: [scopeStart, scopeEnd],
          resourceLength: 0
        })
        first = false
      }
      const resourceSchema = group.resource.schemaUrl
      if (resourceSchema) {
        // After the resource's last scope group: moved with it, outside its ScopeSpans.
        writer.key(3, WIRE_LENGTH)
        writer.string(resourceSchema)
        layout[layout.length - 1]!.tailEnd = writer.pos
      }
    }
    const body = assemble(writer, heads, layout, groups)
    this.buffers.lend(body)
    if (items.length > 0) this.bytesPerItem = Math.max(32, Math.ceil(body.length / items.length))
    return body
  }

  /** The send of `body` (what `encode` returned) is over; its memory takes the next request. */
  release (body: Uint8Array): void {
    this.buffers.release(body)
  }
}

interface GroupLayout {
  /** Where the group's items start; its ScopeSpans ends at `scopeEnd` (after the scope's schema URL). */
  contentStart: number
  scopeEnd: number
  /** `scopeEnd`, or after the resource's schema URL for a resource's last group. */
  tailEnd: number
  /** Where the resource message is in `heads`, for a resource's first scope group. */
  resource: [number, number] | undefined
  scope: [number, number]
  resourceLength: number
}

/** Writes the headers into the room before each group and closes the gaps; returns the request's bytes. */
function assemble<T> (
  writer: ProtoWriter,
  heads: ProtoWriter,
  layout: GroupLayout[],
  groups: ResourceGroup<T>[]
): Uint8Array {
  if (layout.length === 0) return writer.view(0)
  // ResourceSpans lengths: the resource, then each scope group with its key and length.
  let at = 0
  for (const group of groups) {
    const first = layout[at]!
    let length = first.resource![1] - first.resource![0]
    for (let i = 0; i < group.scopes.length; i++) {
      const scoped = layout[at + i]!
      const scopeLength = scopeSpansLength(scoped)
      length += 1 + varintSize(scopeLength) + scopeLength + scoped.tailEnd - scoped.scopeEnd
    }
    first.resourceLength = length
    at += group.scopes.length
  }
  const source = heads.buffer
  const buffer = writer.buffer
  let start = -1
  let cursor = 0
  for (const group of layout) {
    const scopeLength = scopeSpansLength(group)
    const scopeSize = group.scope[1] - group.scope[0]
    let header = 1 + varintSize(scopeLength) + scopeSize
    if (group.resource !== undefined) {
      header += 1 + varintSize(group.resourceLength) + group.resource[1] - group.resource[0]
    }
    // The first group's header ends where its content starts: nothing moves.
    if (start === -1) cursor = start = group.contentStart - header
    writer.pos = cursor
    if (group.resource !== undefined) {
      writer.key(1, WIRE_LENGTH)
      writer.uint32(group.resourceLength)
      source.copy(buffer, writer.pos, group.resource[0], group.resource[1])
      writer.pos += group.resource[1] - group.resource[0]
    }
    writer.key(2, WIRE_LENGTH)
    writer.uint32(scopeLength)
    source.copy(buffer, writer.pos, group.scope[0], group.scope[1])
    writer.pos += scopeSize
    if (writer.pos !== group.contentStart) buffer.copyWithin(writer.pos, group.contentStart, group.tailEnd)
    cursor = writer.pos + group.tailEnd - group.contentStart
  }
  return buffer.subarray(start, cursor)
}

/** A ScopeSpans (ScopeLogs) message's length: its scope, items and schema URL. */
function scopeSpansLength (group: GroupLayout): number {
  return group.scope[1] - group.scope[0] + group.scopeEnd - group.contentStart
}

/** Items by resource, then scope, in order of first appearance; one group without maps in the usual case. */
function groupByScope<T extends ScopedItem> (items: readonly T[]): ResourceGroup<T>[] {
  if (items.length === 0) return []
  const resource = items[0]!.resource
  const scope = items[0]!.instrumentationScope
  let uniform = true
  for (let i = 1; i < items.length; i++) {
    const item = items[i]!
    if (item.resource !== resource || item.instrumentationScope !== scope) {
      uniform = false
      break
    }
  }
  if (uniform) return [{ resource, scopes: [{ scope, items: items as T[] }] }]
  const byResource = new Map<Resource, Map<InstrumentationScope, T[]>>()
  for (const item of items) {
    let scopes = byResource.get(item.resource)
    if (scopes === undefined) byResource.set(item.resource, (scopes = new Map()))
    const list = scopes.get(item.instrumentationScope)
    if (list === undefined) scopes.set(item.instrumentationScope, [item])
    else list.push(item)
  }
  return [...byResource].map(([groupResource, scopes]) => ({
    resource: groupResource,
    scopes: [...scopes].map(([groupScope, list]) => ({ scope: groupScope, items: list }))
  }))
}

/**
 * An exporter's serializer for OTLP protobuf (gRPC and HTTP alike): the package's encoder for the
 * request, upstream's reading of the collector's response (partial success).
 */
export function protobufSerializer<T extends ScopedItem, Response> (
  encoder: OtlpRequestEncoder<T>,
  readResponse: (data: Uint8Array) => Response
): ReusingSerializer<T, Response> {
  return {
    serializeRequest: (items) => encoder.encode(items),
    deserializeResponse: readResponse,
    release: (body) => encoder.release(body)
  }
}
