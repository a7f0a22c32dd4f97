import type { ScopedItem } from './otlp-request.js'
import { ProtoWriter } from './proto-writer.js'

/**
 * An item (span, log record) already written as its entry of an export request: the repeated
 * field's key, the length and the message, in a slab shared with the items written after it.
 * The queue holds these instead of the objects: exactly the bytes that will be sent (which is
 * what the queue's byte bound counts), no object graph kept alive until the batch goes, and a
 * batch that is sent by copying.
 */
export interface EncodedItem extends ScopedItem {
  readonly slab: Buffer
  readonly start: number
  readonly end: number
}

/** Writes one item's whole entry: key, length and message. */
export type EntryWriter<T> = (writer: ProtoWriter, item: T) => void

/** Slabs of this size hold the encoded items. */
const SLAB_BYTES = 256 * 1024
/** A new slab is started when less than this is left, so that an item rarely outgrows its slab. */
const SLAB_HEADROOM = 16 * 1024

/**
 * Encodes items straight into slabs, in two steps, so that a queue can refuse an item for its size
 * before keeping it: `measure` writes the item after the last one kept and says how long it is,
 * `commit` keeps it (an item not committed is written over by the next). A slab is garbage once
 * the last of its items is exported. An item that outgrows what is left of its slab moves the
 * slab into a larger one (ProtoWriter's growth): the items kept before stay valid in the old one.
 */
export class ItemEncoder<T extends ScopedItem> {
  private readonly writer = new ProtoWriter(SLAB_BYTES)
  /** Where the item measured last starts; the end of the items kept so far. */
  private start = 0

  constructor (private readonly writeEntry: EntryWriter<T>) {}

  /** The item's encoded size in bytes; it is written, but kept only by `commit`. */
  measure (item: T): number {
    const writer = this.writer
    writer.pos = this.start
    if (this.start > SLAB_BYTES - SLAB_HEADROOM) {
      writer.buffer = Buffer.allocUnsafeSlow(SLAB_BYTES)
      writer.pos = this.start = 0
    }
    this.writeEntry(writer, item)
    return writer.pos - this.start
  }

  /** The item measured last, kept where it was written. */
  commit (item: T): EncodedItem {
    const start = this.start
    const end = (this.start = this.writer.pos)
    const { resource, instrumentationScope } = item
    return { resource, instrumentationScope, slab: this.writer.buffer, start, end }
  }
}

/**
 * Writes encoded items into a request, copying each run of items that lie next to each other in
 * one slab at once (the usual batch is a handful of runs).
 */
export function writeEncodedItems (writer: ProtoWriter, items: readonly EncodedItem[]): void {
  let i = 0
  while (i < items.length) {
    const first = items[i]!
    let end = first.end
    let j = i + 1
    while (j < items.length && items[j]!.slab === first.slab && items[j]!.start === end) end = items[j++]!.end
    const length = end - first.start
    writer.ensure(length)
    first.slab.copy(writer.buffer, writer.pos, first.start, end)
    writer.pos += length
    i = j
  }
}
