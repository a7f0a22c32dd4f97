// Ours against upstream's, side by side in one process: `node bench/micro/side-by-side.mjs [w3c|b3|scope]...`
// (after `npm run build`). Each case runs in batches of calls timed together (no per-call timer
// overhead), the cases of a group interleaved round after round so that a slower phase of the
// machine hits them all alike; the median batch is reported in ns per call (fastest batch in
// brackets). FOK_BEFORE=<dist folder of an older build> adds that build's rows ("before"), for a
// before/after comparison in the same run, e.g. of the commit before a change:
//   git archive <commit> | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/ &&
//   (cd /tmp/before && npx tsc -p tsconfig.json) && FOK_BEFORE=/tmp/before/dist node bench/micro/side-by-side.mjs
import { context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { W3CTraceContextPropagator as OtelW3CPropagator } from '@opentelemetry/core'
import { B3InjectEncoding, B3Propagator as OtelB3Propagator } from '@opentelemetry/propagator-b3'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const load = createRequire(import.meta.url)
/** The propagators and scopes of one build (this one, or the FOK_BEFORE one). */
function build (dist) {
  return {
    W3C: load(join(dist, 'context/w3c-trace-context.js')).W3CTraceContextPropagator,
    B3: load(join(dist, 'context/b3.js')).B3Propagator,
    scope: load(join(dist, 'context/scope.js')),
    ensureContextManager: load(join(dist, 'context/context-manager.js')).ensureContextManager
  }
}
const after = build(new URL('../../dist', import.meta.url).pathname)
const before = process.env.FOK_BEFORE === undefined ? undefined : build(process.env.FOK_BEFORE)

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const spanId = '00f067aa0ba902b7'

/** The cases of each group: [name, one call]. */
function groups () {
  after.ensureContextManager()
  const sampled = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: 1, isRemote: false })
  const w3c = { traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'vendor=abc' }
  const w3cBare = { traceparent: `00-${traceId}-${spanId}-01` }
  const w3cLong = {
    traceparent: `00-${traceId}-${spanId}-01`,
    tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,dd=s:1;o:rum'
  }
  const b3Single = { b3: `${traceId}-${spanId}-1` }
  const b3Multi = { 'x-b3-traceid': traceId, 'x-b3-spanid': spanId, 'x-b3-sampled': '1' }
  const extract = (p, carrier) => () => p.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
  const inject = (p, ctx) => () => {
    const c = {}
    p.inject(ctx, c, defaultTextMapSetter)
    return c
  }
  const makers = [['ours', after], ...(before === undefined ? [] : [['before', before]])]
  const w3cOf = (who, { W3C }) => {
    const p = new W3C()
    const withState = p.extract(ROOT_CONTEXT, w3cLong, defaultTextMapGetter)
    return [
      [`W3C extract, traceparent + tracestate (${who})`, extract(p, w3c)],
      [`W3C extract, traceparent only (${who})`, extract(p, w3cBare)],
      [`W3C extract, 3-member tracestate (${who})`, extract(p, w3cLong)],
      [`W3C inject (${who})`, inject(p, sampled)],
      [`W3C inject, 3-member tracestate (${who})`, inject(p, withState)]
    ]
  }
  const b3Of = (who, single, multi) => [
    [`B3 single extract (${who})`, extract(single, b3Single)],
    [`B3 multi extract (${who})`, extract(multi, b3Multi)],
    [`B3 single inject (${who})`, inject(single, sampled)],
    [`B3 multi inject (${who})`, inject(multi, sampled)]
  ]
  const byName = (rows) => rows.sort((x, y) => x[0].replace(/\(.*\)$/, '').localeCompare(y[0].replace(/\(.*\)$/, '')))
  return {
    w3c: byName([...makers.flatMap(([who, b]) => w3cOf(who, b)), ...w3cOf('upstream', { W3C: OtelW3CPropagator })]),
    b3: byName([
      ...makers.flatMap(([who, { B3 }]) => b3Of(who, new B3({ inject: 'single' }), new B3({ inject: 'multi' }))),
      ...b3Of(
        'upstream',
        new OtelB3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER }),
        new OtelB3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })
      )
    ]),
    scope: [
      ...makers.map(([who, { scope }]) => [`attach + detach (${who})`, () => scope.detach(scope.attach(sampled))]),
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
  return new Function(
    'fn',
    'batch',
    'hrtime',
    `
    let sink
    const start = hrtime.bigint()
    for (let i = 0; i < batch; i++) sink = fn()
    return [Number(hrtime.bigint() - start) / batch, sink]`
  )
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
// eslint-disable-next-line no-void -- reads the sink once, so what the cases returned counts as used
void sink
