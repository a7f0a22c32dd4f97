// Ours against upstream's, side by side in one process: `node bench/micro/side-by-side.mjs [w3c|b3|scope]...`
// (after `npm run build`). Each case runs in batches of calls timed together (no per-call timer
// overhead), the cases of a group interleaved round after round so that a slower phase of the
// machine hits them all alike; the median batch is reported in ns per call.
import { context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { W3CTraceContextPropagator as OtelW3CPropagator } from '@opentelemetry/core'
import { B3InjectEncoding, B3Propagator as OtelB3Propagator } from '@opentelemetry/propagator-b3'
import { attach, detach, ensureContextManager } from 'fastify-otel-kit/context'
import { B3Propagator } from '../../dist/context/b3.js'
import { W3CTraceContextPropagator } from '../../dist/context/w3c-trace-context.js'

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const spanId = '00f067aa0ba902b7'

/** The cases of each group: [name, one call]. */
function groups () {
  ensureContextManager()
  const sampled = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: 1, isRemote: false })
  const ours = new W3CTraceContextPropagator()
  const theirs = new OtelW3CPropagator()
  const w3c = { traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'vendor=abc' }
  const w3cBare = { traceparent: `00-${traceId}-${spanId}-01` }
  const w3cLong = { traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,dd=s:1;o:rum' }
  const withState = ours.extract(ROOT_CONTEXT, w3cLong, defaultTextMapGetter)
  const withTheirState = theirs.extract(ROOT_CONTEXT, w3cLong, defaultTextMapGetter)
  const b3Single = { b3: `${traceId}-${spanId}-1` }
  const b3Multi = { 'x-b3-traceid': traceId, 'x-b3-spanid': spanId, 'x-b3-sampled': '1' }
  const oursSingle = new B3Propagator({ inject: 'single' })
  const oursMulti = new B3Propagator({ inject: 'multi' })
  const theirsSingle = new OtelB3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER })
  const theirsMulti = new OtelB3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })
  const extract = (p, carrier) => () => p.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
  const inject = (p, ctx) => () => { const c = {}; p.inject(ctx, c, defaultTextMapSetter); return c }
  return {
    w3c: [
      ['W3C extract, traceparent + tracestate (ours)', extract(ours, w3c)],
      ['W3C extract, traceparent + tracestate (upstream)', extract(theirs, w3c)],
      ['W3C extract, traceparent only (ours)', extract(ours, w3cBare)],
      ['W3C extract, traceparent only (upstream)', extract(theirs, w3cBare)],
      ['W3C extract, 3-member tracestate (ours)', extract(ours, w3cLong)],
      ['W3C extract, 3-member tracestate (upstream)', extract(theirs, w3cLong)],
      ['W3C inject (ours)', inject(ours, sampled)],
      ['W3C inject (upstream)', inject(theirs, sampled)],
      ['W3C inject, 3-member tracestate (ours)', inject(ours, withState)],
      ['W3C inject, 3-member tracestate (upstream)', inject(theirs, withTheirState)]
    ],
    b3: [
      ['B3 single extract (ours)', extract(oursSingle, b3Single)],
      ['B3 single extract (upstream)', extract(theirsSingle, b3Single)],
      ['B3 multi extract (ours)', extract(oursMulti, b3Multi)],
      ['B3 multi extract (upstream)', extract(theirsMulti, b3Multi)],
      ['B3 single inject (ours)', inject(oursSingle, sampled)],
      ['B3 single inject (upstream)', inject(theirsSingle, sampled)],
      ['B3 multi inject (ours)', inject(oursMulti, sampled)],
      ['B3 multi inject (upstream)', inject(theirsMulti, sampled)]
    ],
    scope: [
      ['attach + detach', () => detach(attach(sampled))],
      ['context.with (baseline)', () => context.with(sampled, () => 1)]
    ]
  }
}

const BATCH = 20000
const ROUNDS = Number(process.env.ROUNDS ?? 40)

/**
 * A timing loop of its own for each case: one shared loop would see every case's function at one
 * call site, and whichever case ran first would be measured with the friendliest inline cache.
 */
function timingLoop () {
  // eslint-disable-next-line no-new-func
  return new Function('fn', 'batch', 'hrtime', `
    let sink
    const start = hrtime.bigint()
    for (let i = 0; i < batch; i++) sink = fn()
    return [Number(hrtime.bigint() - start) / batch, sink]`)
}

const wanted = process.argv.slice(2)
const all = groups()
let sink
console.log(`Node ${process.version}, ${ROUNDS} rounds of ${BATCH} calls per case, ns per call: median (fastest round)`)
for (const [group, cases] of Object.entries(all)) {
  if (wanted.length > 0 && !wanted.includes(group)) continue
  const loops = cases.map(() => timingLoop())
  const samples = cases.map(() => [])
  for (let round = 0; round < ROUNDS + 5; round++) {
    cases.forEach(([, fn], i) => {
      const [ns, out] = loops[i](fn, BATCH, process.hrtime)
      sink = out
      if (round >= 5) samples[i].push(ns) // the first rounds warm up
    })
  }
  for (const [i, [name]] of cases.entries()) {
    const sorted = samples[i].sort((a, b) => a - b)
    console.log(`  ${name.padEnd(52)} ${sorted[sorted.length >> 1].toFixed(1).padStart(8)} (${sorted[0].toFixed(1)})`)
  }
}
void sink
