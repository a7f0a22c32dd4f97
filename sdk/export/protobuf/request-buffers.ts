/**
 * The memory of export request bodies, used again once their export is over.
 *
 * A body is large (a batch of 512 server spans is about 250 KB) and lives for one send. Made new
 * each time, it is memory from outside the JavaScript heap: the process pays page faults to touch
 * it and V8 answers the growing external memory with full collections (`--trace-gc`: "GC in old
 * space requested"). The exporter hands a body back when its send has settled (answered, failed,
 * timed out or cancelled), and the next request is written into the same memory.
 *
 * A body comes back once, and only one this pool lent: handing back a body twice (its memory may
 * carry another request by then), or one from elsewhere (a view of Node's shared buffer pool),
 * does nothing. A body still out (a send the queue gave up waiting for) is never written over:
 * the next request gets memory of its own.
 */

/**
 * Larger bodies are let go rather than kept idle: after a burst of large log records, at most this
 * much stays resident per encoder (the largest body at most this size is the one kept).
 */
export const MAX_IDLE_BYTES = 4 * 1024 * 1024

export class RequestBuffers {
  /** One idle buffer: the batch processors export one batch at a time. */
  private idle: Buffer | undefined
  /** Memory this pool made (Node's shared pool and a grown writer's memory are not). */
  private readonly owned = new WeakSet<ArrayBufferLike>()
  /** Bodies out with a transport, by the view `encode` returned: a stale handle to reused memory is not one. */
  private readonly lent = new WeakSet<Uint8Array>()

  /** Memory for a body of about `size` bytes (the writer may outgrow it; grown memory is not reused). */
  take (size: number): Buffer {
    let buffer = this.idle
    this.idle = undefined
    if (buffer === undefined || buffer.length < size) {
      buffer = Buffer.allocUnsafeSlow(size)
      this.owned.add(buffer.buffer)
    }
    return buffer
  }

  /** `body` goes out to a transport; it comes back through `release`. */
  lend (body: Uint8Array): void {
    if (this.owned.has(body.buffer)) this.lent.add(body)
  }

  /** The send of `body` (what was lent) is over: its memory may be written again. */
  release (body: Uint8Array): void {
    if (!this.lent.has(body)) return
    this.lent.delete(body)
    const memory = body.buffer
    if (memory.byteLength > MAX_IDLE_BYTES) return
    if (this.idle === undefined || this.idle.length < memory.byteLength) this.idle = Buffer.from(memory)
  }
}
