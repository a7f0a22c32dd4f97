/**
 * The queue sizing rule: the queue must hold what arrives during one schedule delay,
 * queue >= peak requests/s x spans per request x scheduledDelayMillis / 1000, in spans
 * (`maxQueueSize`) and in bytes (`maxQueueBytes`, which counts the spans' encoded size).
 */

/** Retained heap per queued span, measured by the pipeline benchmark: about 1.1-1.4 KB. */
export const BYTES_PER_QUEUED_SPAN = 1300

/**
 * What a queued span counts against the byte bound (`batch.maxQueueBytes`): its OTLP encoding, about
 * 490 bytes for a request span with the plugin's attributes (the encoder benchmark's spans). Spans
 * with more or longer attributes count more.
 */
export const ENCODED_BYTES_PER_SPAN = 500

const MIB = 1024 * 1024

export interface QueueSizing {
  needed: number
  fits: boolean
  /** `needed` plus a quarter for bursts, rounded up to a multiple of 1024. */
  suggestedQueueSize: number
  /** The largest delay that the current queue can absorb at this rate. */
  maxDelayMillis: number
  suggestedMegabytes: number
  /** What `needed` spans count against the byte bound, estimated. */
  neededBytes: number
  /** Whether `maxQueueBytes` holds them. */
  bytesFit: boolean
  /** A byte bound that holds `suggestedQueueSize` spans, in whole MiB (at least 16). */
  suggestedQueueBytes: number
  /** The largest delay that the current byte bound can absorb at this rate. */
  maxDelayMillisForBytes: number
}

export function sizeQueue (
  peakRequestsPerSecond: number,
  spansPerRequest: number,
  scheduledDelayMillis: number,
  maxQueueSize: number,
  maxQueueBytes: number
): QueueSizing {
  const spansPerSecond = peakRequestsPerSecond * spansPerRequest
  const needed = Math.ceil((spansPerSecond * scheduledDelayMillis) / 1000)
  const suggestedQueueSize = Math.max(1024, Math.ceil((needed * 1.25) / 1024) * 1024)
  return {
    needed,
    fits: maxQueueSize >= needed,
    suggestedQueueSize,
    maxDelayMillis: spansPerSecond === 0 ? Infinity : Math.floor((maxQueueSize / spansPerSecond) * 1000),
    suggestedMegabytes: (suggestedQueueSize * BYTES_PER_QUEUED_SPAN) / 1e6,
    neededBytes: needed * ENCODED_BYTES_PER_SPAN,
    bytesFit: maxQueueBytes >= needed * ENCODED_BYTES_PER_SPAN,
    suggestedQueueBytes: Math.max(16, Math.ceil((suggestedQueueSize * ENCODED_BYTES_PER_SPAN) / MIB)) * MIB,
    maxDelayMillisForBytes:
      spansPerSecond === 0 ? Infinity : Math.floor((maxQueueBytes / ENCODED_BYTES_PER_SPAN / spansPerSecond) * 1000)
  }
}
