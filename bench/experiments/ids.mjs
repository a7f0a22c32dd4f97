// Trace and span id generation: the SDK's RandomIdGenerator against two alternatives (a pooled
// random buffer, Math.random with a hex table). Kept as the evidence for not replacing the SDK's:
// about 80 ns per id saved, under 0.2 us per request.
import { RandomIdGenerator } from '@opentelemetry/sdk-trace'
import { randomFillSync } from 'node:crypto'
const sdk = new RandomIdGenerator()
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
// a pool of random bytes refilled in 4 KB chunks
const pool = Buffer.allocUnsafe(4096)
let at = pool.length
function bytesHex (n) {
  if (at + n > pool.length) {
    randomFillSync(pool)
    at = 0
  }
  const s = pool.toString('hex', at, at + n)
  at += n
  return s
}
function mathHex16 () {
  // 8 bytes from two 32-bit random numbers, as the SDK does, hex by table
  const a = (Math.random() * 0x100000000) >>> 0
  const b = (Math.random() * 0x100000000) >>> 0
  return (
    HEX[a >>> 24] +
    HEX[(a >>> 16) & 255] +
    HEX[(a >>> 8) & 255] +
    HEX[a & 255] +
    HEX[b >>> 24] +
    HEX[(b >>> 16) & 255] +
    HEX[(b >>> 8) & 255] +
    HEX[b & 255]
  )
}
function time (label, fn) {
  for (let i = 0; i < 200000; i++) fn()
  const n = 2_000_000
  let sink = 0
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) sink += fn().length
  console.log(
    process.version,
    label.padEnd(28),
    (Number(process.hrtime.bigint() - t0) / n).toFixed(1),
    'ns',
    sink > 0 ? '' : '!'
  )
}
time('sdk generateSpanId', () => sdk.generateSpanId())
time('sdk generateTraceId', () => sdk.generateTraceId())
time('pool toString hex (8)', () => bytesHex(8))
time('pool toString hex (16)', () => bytesHex(16))
time('Math.random + table (8)', mathHex16)
