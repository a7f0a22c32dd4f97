/**
 * Durations in a fixed set of buckets, for quantiles that cost one array increment per value:
 * values in microseconds, buckets exact below 32 us, then 32 buckets per power of two (each about
 * 2 % wide) up to about 70 minutes. Memory is fixed (27 powers x 32 + 32 counters), whatever
 * the number of values.
 */
const SUB_BITS = 5
const SUB = 1 << SUB_BITS
const MAX_MICROS = 2 ** 32 - 1
const BUCKETS = SUB + (32 - SUB_BITS) * SUB

export class DurationHistogram {
  private readonly counts = new Uint32Array(BUCKETS)
  count = 0
  minMillis = Infinity
  maxMillis = 0
  totalMillis = 0

  record (millis: number): void {
    if (!(millis >= 0)) return
    const micros = Math.min(MAX_MICROS, Math.round(millis * 1000))
    this.counts[bucketOf(micros)]!++
    this.count++
    this.totalMillis += millis
    if (millis > this.maxMillis) this.maxMillis = millis
    if (millis < this.minMillis) this.minMillis = millis
  }

  /**
   * The value at quantile `q` (0 to 1), in milliseconds: the middle of its bucket, within the
   * smallest and largest values recorded (so equal values come back exactly); 0 when empty.
   */
  quantile (q: number): number {
    if (this.count === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return Math.max(this.minMillis, Math.min(this.maxMillis, middleOf(i) / 1000))
    }
    return this.maxMillis
  }
}

function bucketOf (micros: number): number {
  if (micros < SUB) return micros
  const power = 31 - Math.clz32(micros)
  return SUB + (power - SUB_BITS) * SUB + ((micros >>> (power - SUB_BITS)) & (SUB - 1))
}

function middleOf (bucket: number): number {
  if (bucket < SUB) return bucket
  const power = Math.floor((bucket - SUB) / SUB) + SUB_BITS
  const low = (SUB + ((bucket - SUB) % SUB)) * 2 ** (power - SUB_BITS)
  const width = 2 ** (power - SUB_BITS)
  return low + width / 2
}

/** Shares from 0 to 1 in 1000 equal buckets (the uncovered share of a request). */
export class ShareHistogram {
  private readonly counts = new Uint32Array(1001)
  count = 0

  record (share: number): void {
    if (!(share >= 0)) return
    this.counts[Math.min(1000, Math.round(share * 1000))]!++
    this.count++
  }

  quantile (q: number): number {
    if (this.count === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i <= 1000; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return i / 1000
    }
    return 1
  }
}
