import { getEnvironmentData, setEnvironmentData } from 'node:worker_threads'

/**
 * How many recorded spans each worker thread holds that have not travelled home yet (open, or
 * ended after their task replied), in memory both sides share. A worker can stop without running
 * another line (Piscina terminates it, or it calls process.exit()), so it cannot say what it loses;
 * the main thread reads its count here when its `exit` event comes.
 *
 * The table reaches every worker started after the main side was loaded as environment data
 * (inherited by new threads, shared because it is a SharedArrayBuffer): no message per task.
 * Layout: slot i is [owner threadId (0 = free), spans held]. Only the owner writes its count.
 */
const KEY = 'fastify-otel-kit/held-spans@1'
const SLOTS = 1024

/** The main side's table, made on first use; workers started from then on inherit it. */
export function sharedHeldSpans (): Int32Array {
  const existing = getEnvironmentData(KEY)
  if (existing instanceof SharedArrayBuffer) return new Int32Array(existing)
  const buffer = new SharedArrayBuffer(SLOTS * 2 * Int32Array.BYTES_PER_ELEMENT)
  setEnvironmentData(KEY, buffer)
  return new Int32Array(buffer)
}

/** A worker's view of the table; undefined if this thread started before the main side was loaded. */
export function inheritedHeldSpans (): Int32Array | undefined {
  const existing = getEnvironmentData(KEY)
  return existing instanceof SharedArrayBuffer ? new Int32Array(existing) : undefined
}

/** Claims a free slot for `threadId`; the index of its count, or -1 when the table is full. */
export function claimHeldSlot (table: Int32Array, threadId: number): number {
  const first = threadId % SLOTS
  for (let i = 0; i < SLOTS; i++) {
    const slot = ((first + i) % SLOTS) * 2
    if (Atomics.compareExchange(table, slot, 0, threadId) === 0) {
      Atomics.store(table, slot + 1, 0)
      return slot + 1
    }
  }
  return -1
}

/** Frees the slot of a thread that has stopped and returns the spans it still held (0 if none). */
export function releaseHeldSlot (table: Int32Array, threadId: number): number {
  const first = threadId % SLOTS
  for (let i = 0; i < SLOTS; i++) {
    const slot = ((first + i) % SLOTS) * 2
    if (Atomics.load(table, slot) === threadId) {
      const held = Atomics.exchange(table, slot + 1, 0)
      Atomics.store(table, slot, 0)
      return held
    }
  }
  return 0
}
