// The sampler's preview (sdk/traces/sampler.ts, buildSampler): the request hooks ask it, before a
// span exists, what the sampler will decide for a parent. For every sampler the package builds and
// every parent state (none; remote or local, sampled or not; a B3 parent that deferred; a bare
// `b3: 0/1/d`), a defined preview must be the decision shouldSample then makes, whatever the
// trace id, and the preview is undefined exactly where the decision depends on the span itself.
import { defaultTextMapGetter, ROOT_CONTEXT, SamplingDecision, SpanKind, trace } from '@opentelemetry/api'
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { B3Propagator } from '../../dist/context/b3.js'
import { LinkedContext } from '../../dist/context/linked-context.js'
import { buildSampler } from '../../dist/sdk/traces/sampler.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN_ID = '00f067aa0ba902b7'
const b3 = new B3Propagator({ inject: 'multi' })
const extract = (base, headers) => b3.extract(base, headers, defaultTextMapGetter)
const withParent = (base, id, traceFlags, isRemote) =>
  trace.setSpanContext(base, { traceId: id, spanId: SPAN_ID, traceFlags, isRemote })
const multi = (id, sampled) => ({
  'x-b3-traceid': id,
  'x-b3-spanid': SPAN_ID,
  ...(sampled === undefined ? {} : { 'x-b3-sampled': sampled })
})

/**
 * Every parent state, built on a base context (the API's ROOT_CONTEXT or the package's
 * LinkedContext) for a trace id.
 */
const PARENTS = {
  'no parent': (base) => base,
  'remote, sampled': (base, id) => withParent(base, id, 1, true),
  'remote, not sampled': (base, id) => withParent(base, id, 0, true),
  'local, sampled': (base, id) => withParent(base, id, 1, false),
  'local, not sampled': (base, id) => withParent(base, id, 0, false),
  'B3 multi without X-B3-Sampled (deferred)': (base, id) => extract(base, multi(id)),
  'B3 single without a sampling state (deferred)': (base, id) => extract(base, { b3: `${id}-${SPAN_ID}` }),
  'B3 with X-B3-Sampled: 0': (base, id) => extract(base, multi(id, '0')),
  'B3 with X-B3-Sampled: 1': (base, id) => extract(base, multi(id, '1')),
  'bare b3: 0': (base) => extract(base, { b3: '0' }),
  'bare b3: 1': (base) => extract(base, { b3: '1' }),
  'bare b3: d': (base) => extract(base, { b3: 'd' }),
  // A deferred B3 parent, then another format's unsampled parent of another trace won: not deferred.
  'a deferred mark of another trace': (base, id) =>
    trace.setSpanContext(extract(base, multi('a'.repeat(32))), {
      traceId: id,
      spanId: SPAN_ID,
      traceFlags: 0,
      isRemote: true
    })
}

/** The application's own sampler: samples what carries `sample: true`. */
const byAttribute = {
  shouldSample: (_context, _traceId, _name, _kind, attributes) => ({
    decision: attributes.sample === true ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD
  }),
  toString: () => 'ByAttribute'
}

const SAMPLERS = {
  always_on: () => buildSampler('always_on', 1, undefined),
  always_off: () => buildSampler('always_off', 1, undefined),
  traceidratio: () => buildSampler('traceidratio', 0.5, undefined),
  parentbased_always_on: () => buildSampler('parentbased_always_on', 1, undefined),
  parentbased_always_off: () => buildSampler('parentbased_always_off', 1, undefined),
  parentbased_traceidratio: () => buildSampler('parentbased_traceidratio', 0.5, undefined),
  'custom (an instance)': () => buildSampler('custom', 1, byAttribute),
  'custom without an instance (parentbased_always_on)': () => buildSampler('custom', 1, undefined)
}

const ON = SamplingDecision.RECORD_AND_SAMPLED
const OFF = SamplingDecision.NOT_RECORD
const DEPENDS = undefined

/**
 * The preview, written out per sampler and parent state (the specification's ParentBased table,
 * plus B3's deferred and bare states). DEPENDS: the decision depends on the trace id or attributes.
 */
const parentBased = (root) => ({
  'no parent': root,
  'remote, sampled': ON,
  'remote, not sampled': OFF,
  'local, sampled': ON,
  'local, not sampled': OFF,
  'B3 multi without X-B3-Sampled (deferred)': root,
  'B3 single without a sampling state (deferred)': root,
  'B3 with X-B3-Sampled: 0': OFF,
  'B3 with X-B3-Sampled: 1': ON,
  'bare b3: 0': OFF,
  'bare b3: 1': ON,
  'bare b3: d': ON,
  'a deferred mark of another trace': OFF
})
const all = (decision) => Object.fromEntries(Object.keys(PARENTS).map((name) => [name, decision]))
const EXPECTED = {
  always_on: all(ON),
  always_off: all(OFF),
  traceidratio: all(DEPENDS),
  parentbased_always_on: parentBased(ON),
  parentbased_always_off: parentBased(OFF),
  parentbased_traceidratio: parentBased(DEPENDS),
  'custom (an instance)': all(DEPENDS),
  'custom without an instance (parentbased_always_on)': parentBased(ON)
}

const BASES = { ROOT_CONTEXT, 'LinkedContext.ROOT': LinkedContext.ROOT }

const decide = (sampler, parent, traceId, attributes = {}) =>
  sampler.shouldSample(parent, traceId, 'GET /', SpanKind.SERVER, attributes, []).decision

describe('the preview, written out', () => {
  for (const [samplerName, build] of Object.entries(SAMPLERS)) {
    test(samplerName, () => {
      const sampler = build()
      for (const [baseName, base] of Object.entries(BASES)) {
        for (const [parentName, parent] of Object.entries(PARENTS)) {
          const preview = sampler.preview(parent(base, TRACE_ID))
          assert.equal(preview, EXPECTED[samplerName][parentName], `${parentName} on ${baseName}`)
        }
      }
    })
  }
})

describe('a defined preview is the decision; an undefined one really depends on the span', () => {
  const traceId = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 })

  test('for any sampler, parent state, base context, trace id and attributes, preview = shouldSample', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(SAMPLERS)),
        fc.constantFrom(...Object.keys(PARENTS)),
        fc.constantFrom(...Object.keys(BASES)),
        traceId,
        fc.boolean(),
        (samplerName, parentName, baseName, id, sample) => {
          const sampler = SAMPLERS[samplerName]()
          const parent = PARENTS[parentName](BASES[baseName], id)
          const preview = sampler.preview(parent)
          // A child of a parent with ids has the parent's trace id; a root a new one.
          const childTraceId = trace.getSpanContext(parent)?.traceId ?? id.split('').reverse().join('')
          if (preview !== undefined) assert.equal(decide(sampler, parent, childTraceId, { sample }), preview)
        }
      ),
      { numRuns: 1000 }
    )
  })

  test('where the preview is undefined, the decision goes both ways', () => {
    // Trace ids whose lower bits put them under and over a ratio of 0.5 (the SDK reads the last 8 digits).
    const ids = ['0'.repeat(32), 'f'.repeat(32), '0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210']
    for (const [samplerName, expectations] of Object.entries(EXPECTED)) {
      for (const [parentName, expectation] of Object.entries(expectations)) {
        if (expectation !== DEPENDS) continue
        const sampler = SAMPLERS[samplerName]()
        const decisions = new Set()
        for (const id of ids) {
          const parent = PARENTS[parentName](ROOT_CONTEXT, id)
          const childTraceId = trace.getSpanContext(parent)?.traceId ?? id
          for (const sample of [true, false]) decisions.add(decide(sampler, parent, childTraceId, { sample }))
        }
        assert.deepEqual([...decisions].sort(), [OFF, ON], `${samplerName}, ${parentName}`)
      }
    }
  })
})
