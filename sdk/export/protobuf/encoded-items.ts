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

/** Slabs of this size hold the encoded items; a larger item gets a slab of its own. */
const SLAB_BYTES = 256 * 1024

/**
 * Encodes items into slabs, in two steps, so that a queue can refuse an item for its size before
 * it takes any room: `measure` writes the item aside and says how long it is, `commit` copies
 * those bytes into the current slab. A slab is garbage once the last of its items is exported.
 */
export class ItemEncoder<T extends ScopedItem> {
  private readonly scratch = new ProtoWriter(4096)
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
  private used = 0

  constructor (private readonly writeEntry: EntryWriter<T>) {}

  /** The item's encoded size in bytes; the item is kept aside for `commit`. */
  measure (item: T): number {
    this.scratch.pos = 0
    this.writeEntry(this.scratch, item)
    return this.scratch.pos
  }

  /** The item measured last, copied into the current slab. */
  commit (item: T): EncodedItem {
    const length = this.scratch.pos
    if (this.used + length > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, length))
      this.used = 0
    }
    const start = this.used
    this.scratch.buffer.copy(this.slab, start, 0, length)
    this.used += length
    return { resource: item.resource, instrumentationScope: item.instrumentationScope, slab: this.slab, start, end: this.used }
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
