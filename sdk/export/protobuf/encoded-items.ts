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
  /** The slab's use this item belongs to, for handing it back (ItemEncoder.release). */
  readonly use: SlabUse
  /** Handed back already. */
  released: boolean
}

/** One use of a slab: the items committed to it that nothing has handed back yet. */
interface SlabUse {
  readonly slab: Buffer
  live: number
  /** The encoder writes into it no more. */
  retired: boolean
}

/** Writes one item's whole entry: key, length and message. */
export type EntryWriter<T> = (writer: ProtoWriter, item: T) => void

/** Slabs of this size hold the encoded items. */
const SLAB_BYTES = 256 * 1024
/** A new slab is started when less than this is left, so that an item rarely outgrows its slab. */
const SLAB_HEADROOM = 16 * 1024
/** Slabs kept for reuse at most (2 MiB): more than a moderate queue's worth of spans in flight. */
const IDLE_SLABS = 8

/**
 * Encodes items straight into slabs, in two steps, so that a queue can refuse an item for its size
 * before keeping it: `measure` writes the item after the last one kept and says how long it is,
 * `commit` keeps it (an item not committed is written over by the next). An item that outgrows
 * what is left of its slab is written again at the start of a slab of its own size (at least
 * SLAB_BYTES): growing the slab in place would copy the items kept before into the larger one
 * while they keep the old one alive, and the queue would hold two to three times the bytes its
 * bound counts.
 *
 * A slab is new memory outside the JavaScript heap, and at tens of thousands of spans a second V8
 * answers that memory with full collections. So once every item of a slab the encoder has moved
 * past is handed back (`release`: nothing will read them again, batch-lease.ts), the slab is kept
 * for the next one. Items never handed back (an exporter that threw, a queue abandoned at the
 * shutdown bound) leave their slab to the garbage collector.
 */
export class ItemEncoder<T extends ScopedItem> {
  private readonly writer = new ProtoWriter(SLAB_BYTES)
  /** Where the item measured last starts; the end of the items kept so far. */
  private start = 0
  private use: SlabUse = { slab: this.writer.buffer, live: 0, retired: false }
  private readonly idle: Buffer[] = []

  constructor (private readonly writeEntry: EntryWriter<T>) {}

  /** The item's encoded size in bytes; it is written, but kept only by `commit`. */
  measure (item: T): number {
    const writer = this.writer
    if (this.start > writer.buffer.length - SLAB_HEADROOM) this.startSlab(SLAB_BYTES)
    const slab = writer.buffer
    writer.pos = this.start
    try {
      this.writeEntry(writer, item)
    } catch (error) {
      // An item that cannot be encoded is lost alone (the queue counts it); if it made the writer
      // grow, the next items still go into the slab their records name.
      writer.buffer = slab
      throw error
    }
    const size = writer.pos - this.start
    if (writer.buffer !== slab) {
      // Grown: the larger buffer also holds copies of the items kept before; write this one alone.
      this.startSlab(Math.max(SLAB_BYTES, size + SLAB_HEADROOM))
      this.writeEntry(writer, item)
    }
    return size
  }

  private startSlab (bytes: number): void {
    const previous = this.use
    previous.retired = true
    if (previous.live === 0) this.keep(previous)
    const slab = bytes === SLAB_BYTES && this.idle.length > 0 ? this.idle.pop()! : Buffer.allocUnsafeSlow(bytes)
    this.writer.buffer = slab
    this.writer.pos = this.start = 0
    this.use = { slab, live: 0, retired: false }
  }

  /** The item measured last, kept where it was written. */
  commit (item: T): EncodedItem {
    const start = this.start
    const end = (this.start = this.writer.pos)
    const { resource, instrumentationScope } = item
    const use = this.use
    use.live++
    return { resource, instrumentationScope, slab: use.slab, start, end, use, released: false }
  }

  /**
   * Nothing reads `items` again: a slab the encoder moved past with none of its items left is kept
   * for reuse. An item handed back a second time is not counted again: its slab may hold items
   * still queued.
   */
  release (items: readonly EncodedItem[]): void {
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!
      if (item.released) continue
      item.released = true
      const use = item.use
      if (--use.live === 0 && use.retired) this.keep(use)
    }
  }

  /**
   * A use ends here once: retired with nothing live (at `startSlab`), or its last item handed back
   * after it was retired (`release`); an item counts once, so the count reaches zero once.
   */
  private keep (use: SlabUse): void {
    if (use.slab.length === SLAB_BYTES && this.idle.length < IDLE_SLABS) this.idle.push(use.slab)
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
