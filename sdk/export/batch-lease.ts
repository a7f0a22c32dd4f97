/**
 * Who still reads a batch's items: the queue until the batch has settled, and every exporter call
 * made with them (or a part of them) until it calls back, even after the queue stopped waiting for
 * it (a timed-out export goes on until its transport gives up, and a retry reads the items again).
 * When nobody does, the queue's encoding may use the items' memory again (encoded-items.ts).
 *
 * An exporter that throws instead of calling back keeps its hold: its items' memory is then never
 * used again, only collected. Leaving memory to the garbage collector is the safe side.
 */
export class BatchLease<T> {
  /** The queue's own hold, from the start. */
  private holds = 1

  constructor (
    private readonly batch: readonly T[],
    private readonly release: (items: readonly T[]) => void
  ) {}

  /** An exporter call starts with (part of) the batch: `done`, wrapped to let go once when it is called back. */
  heldUntil<R> (done: (result: R) => void): (result: R) => void {
    this.holds++
    let calledBack = false
    return (result) => {
      if (!calledBack) {
        calledBack = true
        this.letGo()
      }
      done(result)
    }
  }

  /** One hold ends; the last one hands the items back. */
  letGo (): void {
    if (--this.holds === 0) this.release(this.batch)
  }
}
