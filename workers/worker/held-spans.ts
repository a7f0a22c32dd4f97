import { threadId } from 'node:worker_threads'
import { claimHeldSlot, inheritedHeldSpans } from '../protocol/held-spans.js'

/**
 * This thread's count in the held-spans table (protocol/held-spans.ts): +1 when a recorded span
 * starts, -n when n spans leave with a reply. What is left when the thread stops never came home.
 */
let table: Int32Array | undefined
let cell = -1
let claimed = false

export function spanHeld (): void {
  if (!claimed) claim()
  if (cell >= 0) Atomics.add(table!, cell, 1)
}

export function spansSent (count: number): void {
  if (cell >= 0 && count > 0) Atomics.sub(table!, cell, count)
}

function claim (): void {
  claimed = true
  table = inheritedHeldSpans()
  if (table !== undefined) cell = claimHeldSlot(table, threadId)
}
