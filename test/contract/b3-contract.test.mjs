// The B3 propagator of this package against OpenTelemetry JS's (@opentelemetry/propagator-b3 3.1.1),
// run over one table of inbound headers: what each extracts, what the package's samplers then
// decide, and what each sends on. Rows marked `same` must stay equal; every other row says what
// differs and why. If upstream converges on a row, that row fails and is turned into a `same` one.
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api'
import { SamplingDecision } from '@opentelemetry/sdk-trace'
import { B3InjectEncoding, B3Propagator as UpstreamB3 } from '@opentelemetry/propagator-b3'
// Internal (not in the package's public API): the propagator and the samplers that read its context keys.
import { B3Propagator } from '../../dist/context/b3.js'
import { buildSampler } from '../../dist/sdk/traces/sampler.js'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

const ours = { single: new B3Propagator({ inject: 'single' }), multi: new B3Propagator({ inject: 'multi' }) }
const upstream = {
  single: new UpstreamB3({ injectEncoding: B3InjectEncoding.SINGLE_HEADER }),
  multi: new UpstreamB3({ injectEncoding: B3InjectEncoding.MULTI_HEADER })
}
/** The package's defaults, and the same with roots off (so that an upstream "accept" shows). */
const samplers = {
  on: buildSampler('parentbased_always_on', 1, undefined),
  off: buildSampler('parentbased_always_off', 1, undefined)
}

const T = '80f198ee56343ba864fe8b2a57d3eff7'
const T64 = '64fe8b2a57d3eff7'
const S = 'e457b5a2e4d86bd1'
const P = '05e3ac9a4f6e3b90'

/**
 * What a service does with these inbound headers: the remote parent it finds, the decision of the
 * package's parent-based samplers (root always on / always off) for a span under it, and what a
 * pass-through hop sends on in each encoding.
 */
function outcome (propagators, headers) {
  const context = propagators.single.extract(ROOT_CONTEXT, headers, defaultTextMapGetter)
  const parent = trace.getSpanContext(context)
  const decide = (sampler) =>
    sampler.shouldSample(context, 'a'.repeat(32), 'child', SpanKind.SERVER, {}, []).decision ===
    SamplingDecision.RECORD_AND_SAMPLED
      ? 'sampled'
      : 'dropped'
  const sent = (propagator) => {
    const out = {}
    propagator.inject(context, out, defaultTextMapSetter)
    return out
  }
  return {
    parent: parent === undefined ? null : `${parent.traceId}-${parent.spanId}-${parent.traceFlags}`,
    rootOn: decide(samplers.on),
    rootOff: decide(samplers.off),
    single: sent(propagators.single).b3 ?? null,
    multi: sent(propagators.multi)
  }
}

const multi = (traceId, spanId, more = {}) => ({ 'x-b3-traceid': traceId, 'x-b3-spanid': spanId, ...more })
const sent = (traceId, spanId, sampled) => ({ 'x-b3-traceid': traceId, 'x-b3-spanid': spanId, 'x-b3-sampled': sampled })

/** Inbound headers, and the outcome here; `upstream` only where it differs, with the reason. */
const table = [
  {
    name: 'single, sampled',
    headers: { b3: `${T}-${S}-1` },
    same: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: sent(T, S, '1')
    }
  },
  {
    name: 'single, not sampled',
    headers: { b3: `${T}-${S}-0` },
    same: {
      parent: `${T}-${S}-0`,
      rootOn: 'dropped',
      rootOff: 'dropped',
      single: `${T}-${S}-0`,
      multi: sent(T, S, '0')
    }
  },
  {
    name: 'single, with a parent span id',
    headers: { b3: `${T}-${S}-1-${P}` },
    same: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: sent(T, S, '1')
    }
  },
  {
    name: 'single, 64-bit trace id (padded)',
    headers: { b3: `${T64}-${S}-1` },
    same: {
      parent: `${'0'.repeat(16)}${T64}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${'0'.repeat(16)}${T64}-${S}-1`,
      multi: sent(`${'0'.repeat(16)}${T64}`, S, '1')
    }
  },
  {
    name: 'the single header wins over the multi headers',
    headers: { b3: `${T}-${S}-1`, ...multi('1'.repeat(32), '2'.repeat(16), { 'x-b3-sampled': '1' }) },
    same: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: sent(T, S, '1')
    }
  },
  {
    name: 'multi, sampled',
    headers: multi(T, S, { 'x-b3-sampled': '1' }),
    same: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: sent(T, S, '1')
    }
  },
  {
    name: 'multi, X-B3-Sampled: true (old Zipkin clients)',
    headers: multi(T, S, { 'x-b3-sampled': 'true' }),
    same: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: sent(T, S, '1')
    }
  },
  {
    name: 'multi, X-B3-Sampled: maybe (invalid)',
    headers: multi(T, S, { 'x-b3-sampled': 'maybe' }),
    same: { parent: null, rootOn: 'sampled', rootOff: 'dropped', single: null, multi: {} }
  },
  {
    name: 'multi, all-zero ids',
    headers: multi('0'.repeat(32), '0'.repeat(16), { 'x-b3-sampled': '1' }),
    same: { parent: null, rootOn: 'sampled', rootOff: 'dropped', single: null, multi: {} }
  },
  {
    name: 'no B3 header',
    headers: {},
    same: { parent: null, rootOn: 'sampled', rootOff: 'dropped', single: null, multi: {} }
  },
  {
    name: 'bare b3: 0 (a decision without ids)',
    headers: { b3: '0' },
    ours: { parent: null, rootOn: 'dropped', rootOff: 'dropped', single: null, multi: {} },
    upstream: { parent: null, rootOn: 'sampled', rootOff: 'dropped', single: null, multi: {} },
    why: 'the B3 specification lets a caller send only its decision; ' +
      'upstream does not read it and the root sampler decides'
  },
  {
    name: 'bare b3: 1',
    headers: { b3: '1' },
    ours: { parent: null, rootOn: 'sampled', rootOff: 'sampled', single: null, multi: {} },
    upstream: { parent: null, rootOn: 'sampled', rootOff: 'dropped', single: null, multi: {} },
    why: 'as for b3: 0'
  },
  {
    name: 'single without a sampling state (defer)',
    headers: { b3: `${T}-${S}` },
    ours: {
      parent: `${T}-${S}-0`,
      rootOn: 'sampled',
      rootOff: 'dropped',
      single: `${T}-${S}-0`,
      multi: sent(T, S, '0')
    },
    upstream: {
      parent: `${T}-${S}-0`,
      rootOn: 'dropped',
      rootOff: 'dropped',
      single: `${T}-${S}-0`,
      multi: sent(T, S, '0')
    },
    why: 'an absent decision defers to the receiver (B3 specification): here the local root sampler decides; ' +
      'upstream reads it as "not sampled"'
  },
  {
    name: 'multi without X-B3-Sampled (defer)',
    headers: multi(T, S),
    ours: {
      parent: `${T}-${S}-0`,
      rootOn: 'sampled',
      rootOff: 'dropped',
      single: `${T}-${S}-0`,
      multi: sent(T, S, '0')
    },
    upstream: {
      parent: `${T}-${S}-0`,
      rootOn: 'dropped',
      rootOff: 'dropped',
      single: `${T}-${S}-0`,
      multi: sent(T, S, '0')
    },
    why: 'as above'
  },
  {
    name: 'single, debug: passed on as debug in either encoding',
    headers: { b3: `${T}-${S}-d` },
    ours: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-d`,
      multi: { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-flags': '1' }
    },
    upstream: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-d`,
      multi: sent(T, S, '1')
    },
    why: 'upstream keeps the header\'s own spelling of debug ("d") and its multi injector only knows "1": ' +
      'debug is lost when the encoding changes'
  },
  {
    name: 'multi, X-B3-Flags: 1 (debug)',
    headers: multi(T, S, { 'x-b3-flags': '1' }),
    ours: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-d`,
      multi: { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-flags': '1' }
    },
    upstream: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-flags': '1' }
    },
    why: 'the same in the other direction: upstream\'s single injector writes the stored "1" as the sampling state'
  },
  {
    name: 'an invalid single header and valid multi headers',
    headers: { b3: 'garbage', ...multi(T, S, { 'x-b3-sampled': '1' }) },
    ours: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: sent(T, S, '1')
    },
    upstream: { parent: null, rootOn: 'sampled', rootOff: 'dropped', single: null, multi: {} },
    why: 'upstream stops at a present single header even when it cannot read it; here the multi headers are read next'
  },
  {
    name: 'single, upper-case ids',
    headers: { b3: `${T.toUpperCase()}-${S.toUpperCase()}-1` },
    ours: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: sent(T, S, '1')
    },
    upstream: { parent: null, rootOn: 'sampled', rootOff: 'dropped', single: null, multi: {} },
    why: 'read leniently and lower-cased here, as many B3 writers send upper case'
  },
  {
    name: 'multi, upper-case ids',
    headers: multi(T.toUpperCase(), S.toUpperCase(), { 'x-b3-sampled': '1' }),
    ours: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: sent(T, S, '1')
    },
    upstream: {
      parent: `${T.toUpperCase()}-${S.toUpperCase()}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T.toUpperCase()}-${S.toUpperCase()}-1`,
      multi: sent(T.toUpperCase(), S.toUpperCase(), '1')
    },
    why: 'upstream keeps upper-case ids (the API check accepts them) ' +
      'and sends them on (into a traceparent too: next test)'
  },
  {
    name: 'single, characters around the value',
    headers: { b3: `x${T}-${S}-1x` },
    ours: { parent: null, rootOn: 'sampled', rootOff: 'dropped', single: null, multi: {} },
    upstream: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: sent(T, S, '1')
    },
    why: "upstream's single-header regular expression is not anchored: it finds ids anywhere in the value"
  },
  {
    name: 'single, a 48-digit trace id',
    headers: { b3: `${T64}${T}-${S}-1` },
    ours: { parent: null, rootOn: 'sampled', rootOff: 'dropped', single: null, multi: {} },
    upstream: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: sent(T, S, '1')
    },
    why: 'the same unanchored expression: it takes the last 32 digits as the trace id'
  },
  {
    name: 'single, an invalid parent span id',
    headers: { b3: `${T}-${S}-1-xyz` },
    ours: { parent: null, rootOn: 'sampled', rootOff: 'dropped', single: null, multi: {} },
    upstream: {
      parent: `${T}-${S}-1`,
      rootOn: 'sampled',
      rootOff: 'sampled',
      single: `${T}-${S}-1`,
      multi: sent(T, S, '1')
    },
    why: 'the header is malformed as a whole here; upstream ignores what its expression does not match'
  },
  {
    name: 'single, sampling state "true"',
    headers: { b3: `${T}-${S}-true` },
    ours: { parent: null, rootOn: 'sampled', rootOff: 'dropped', single: null, multi: {} },
    upstream: {
      parent: `${T}-${S}-0`,
      rootOn: 'dropped',
      rootOff: 'dropped',
      single: `${T}-${S}-0`,
      multi: sent(T, S, '0')
    },
    why: 'only 1, 0 and d are sampling states; upstream reads the header as "not sampled"'
  }
]

describe('B3: this package against @opentelemetry/propagator-b3, over one header table', () => {
  for (const row of table) {
    test(`${row.same !== undefined ? 'same' : 'differs'}: ${row.name}`, () => {
      const here = outcome(ours, row.headers)
      const there = outcome(upstream, row.headers)
      if (row.same !== undefined) {
        assert.deepEqual(here, row.same, 'this package')
        assert.deepEqual(there, row.same, 'upstream')
      } else {
        assert.deepEqual(here, row.ours, 'this package')
        assert.deepEqual(there, row.upstream, `upstream (${row.why})`)
        assert.notDeepEqual(here, there)
      }
    })
  }

  test('differs: a debug flag is bound to its trace here; upstream sends it for any span in that context', () => {
    const sentFor = (propagator) => {
      const debugContext = propagator.extract(ROOT_CONTEXT, { b3: `${T}-${S}-d` }, defaultTextMapGetter)
      // Another trace in that context: a span started as a new root (a trust boundary), say.
      const other = trace.setSpanContext(debugContext, {
        traceId: '1'.repeat(32),
        spanId: '2'.repeat(16),
        traceFlags: 1
      })
      const out = {}
      propagator.inject(other, out, defaultTextMapSetter)
      return out.b3
    }
    assert.equal(sentFor(ours.single), `${'1'.repeat(32)}-${'2'.repeat(16)}-1`)
    assert.equal(sentFor(upstream.single), `${'1'.repeat(32)}-${'2'.repeat(16)}-d`)
  })

  test('differs: upper-case B3 ids reach a W3C traceparent upstream; here they arrive lower-cased', async () => {
    const { W3CTraceContextPropagator: UpstreamW3C } = await import('@opentelemetry/core')
    const { W3CTraceContextPropagator } = await import('../../dist/context/w3c-trace-context.js')
    const headers = multi(T.toUpperCase(), S.toUpperCase(), { 'x-b3-sampled': '1' })
    const traceparent = (b3, w3c) => {
      const out = {}
      w3c.inject(b3.extract(ROOT_CONTEXT, headers, defaultTextMapGetter), out, defaultTextMapSetter)
      return out.traceparent
    }
    assert.equal(traceparent(ours.multi, new W3CTraceContextPropagator()), `00-${T}-${S}-01`)
    assert.equal(traceparent(upstream.multi, new UpstreamW3C()), `00-${T.toUpperCase()}-${S.toUpperCase()}-01`)
  })

  test('same: the header names each injects, ' +
    'and nothing at all under suppressed tracing or for an invalid span', async () => {
    assert.deepEqual(ours.single.fields(), upstream.single.fields())
    assert.deepEqual([...ours.multi.fields()].sort(), [...upstream.multi.fields()].sort())
    const { suppressTracing } = await import('@opentelemetry/core')
    const valid = trace.setSpanContext(ROOT_CONTEXT, { traceId: T, spanId: S, traceFlags: 1 })
    const invalid = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: S, traceFlags: 1 })
    for (const propagator of [ours.single, ours.multi, upstream.single, upstream.multi]) {
      for (const context of [suppressTracing(valid), invalid]) {
        const out = {}
        propagator.inject(context, out, defaultTextMapSetter)
        assert.deepEqual(out, {})
      }
    }
  })
})
