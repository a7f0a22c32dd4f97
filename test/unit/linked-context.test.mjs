// LinkedContext (context/linked-context.ts) replaces the API's BaseContext on the request path; it
// must answer exactly as the API's ROOT_CONTEXT does. A model-based property: random sequences of
// setValue / deleteValue, each applied to any context made so far (contexts are immutable, so old
// ones must not change), long enough to flatten the chain more than once; after every step every
// context made so far is asked every key, and both implementations must agree.
import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api'
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LinkedContext } from '../../dist/context/linked-context.js'

const KEYS = Array.from({ length: 6 }, (_, i) => createContextKey(`key ${i}`))
/** Values include undefined, null and falsy ones: a set undefined is not a deleted key, but reads the same. */
const VALUES = [undefined, null, 0, '', false, 'a', { object: true }]

const step = fc.record({
  from: fc.nat(), // which earlier context the operation applies to (modulo how many there are)
  op: fc.constantFrom('set', 'delete'),
  key: fc.nat({ max: KEYS.length - 1 }),
  value: fc.nat({ max: VALUES.length - 1 })
})

function agree (pairs, where) {
  pairs.forEach(([linked, reference], i) => {
    for (const key of KEYS) {
      assert.equal(linked.getValue(key), reference.getValue(key), `${where}: context ${i}, ${key.description}`)
    }
  })
}

test('any sequence of setValue/deleteValue: LinkedContext answers every key as ROOT_CONTEXT does', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 80, size: 'max' }), fc.boolean(), (steps, fromLatest) => {
      const pairs = [[LinkedContext.ROOT, ROOT_CONTEXT]]
      steps.forEach((s, n) => {
        // Half the runs always grow the newest context: deep chains, flattened on the way.
        const [linked, reference] = pairs[fromLatest ? pairs.length - 1 : s.from % pairs.length]
        const key = KEYS[s.key]
        pairs.push(
          s.op === 'set'
            ? [linked.setValue(key, VALUES[s.value]), reference.setValue(key, VALUES[s.value])]
            : [linked.deleteValue(key), reference.deleteValue(key)]
        )
        agree(pairs, `after step ${n} (${s.op})`)
      })
    }),
    { numRuns: 300 }
  )
})

test('the cases the property relies on, spelled out: past the flattening depth, deletes and old contexts hold', () => {
  const [a, b] = KEYS
  let context = LinkedContext.ROOT.setValue(a, 'first')
  const early = context
  context = context.deleteValue(a)
  for (let i = 0; i < 40; i++) context = context.setValue(b, i)
  assert.equal(context.getValue(a), undefined, 'a key deleted deep in the chain stays deleted after flattening')
  assert.equal(context.getValue(b), 39)
  const revived = context.setValue(a, 'again')
  assert.equal(revived.getValue(a), 'again')
  assert.equal(context.getValue(a), undefined)
  assert.equal(early.getValue(a), 'first', 'an earlier context is untouched')
  assert.equal(LinkedContext.ROOT.getValue(a), undefined)
  assert.ok(context.setValue(a, 1) instanceof LinkedContext)
})
