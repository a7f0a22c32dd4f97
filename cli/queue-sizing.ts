/**
 * The queue sizing rule: the queue must hold what arrives during one schedule delay,
 * queue >= peak requests/s x spans per request x scheduledDelayMillis / 1000.
 */

/** Retained heap per queued span, measured by the pipeline benchmark: about 1.1-1.4 KB. */
export const BYTES_PER_QUEUED_SPAN = 1300

export interface QueueSizing {
  needed: number
  fits: boolean
  /** `needed` plus a quarter for bursts, rounded up to a multiple of 1024. */
  suggestedQueueSize: number
  /** The largest delay that the current queue can absorb at this rate. */
  maxDelayMillis: number
  suggestedMegabytes: number
}

export function sizeQueue (
  peakRequestsPerSecond: number,
  spansPerRequest: number,
  scheduledDelayMillis: number,
  maxQueueSize: number
): QueueSizing {
  const spansPerSecond = peakRequestsPerSecond * spansPerRequest
  const needed = Math.ceil((spansPerSecond * scheduledDelayMillis) / 1000)
  const suggestedQueueSize = Math.max(1024, Math.ceil((needed * 1.25) / 1024) * 1024)
  return {
    needed,
    fits: maxQueueSize >= needed,
    suggestedQueueSize,
    maxDelayMillis: spansPerSecond === 0 ? Infinity : Math.floor((maxQueueSize / spansPerSecond) * 1000),
    suggestedMegabytes: (suggestedQueueSize * BYTES_PER_QUEUED_SPAN) / 1e6
  }
}
