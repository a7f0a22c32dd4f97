// The benchmark's compare mode (`npm run bench -- --compare saved.json`): figures both runs have,
// with the change and whether it is better, each figure's direction respected.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { figuresOf, renderComparison } from '../../bench/lib/compare.mjs'
import { evaluateTargets } from '../../bench/lib/targets.mjs'

const run = (commit, { sampledRatio, sampledCpu, extractNs, recovery }) => ({
  mode: 'full',
  date: '2026-12-06T00:00:00.000Z',
  machine: { commit, node: 'v24.22.3' },
  http: [
    {
      node: 'v24.22.3',
      rows: [
        { setup: 'bare', connections: 50, ratio: 1, cpuMicrosPerRequest: 17.6 },
        { setup: 'sampled', connections: 50, ratio: sampledRatio, cpuMicrosPerRequest: sampledCpu }
      ]
    }
  ],
  micro: [{ name: 'W3C traceparent extract', nsPerOp: extractNs }],
  pipeline: { summary: [], heap: [], recovery: recovery === undefined ? undefined : { pluginMedian: recovery } }
})

test('each figure is compared in its own direction: a higher ratio is better, a higher cost is worse', () => {
  const before = run('aaa111', { sampledRatio: 0.6, sampledCpu: 30, extractNs: 500, recovery: 1000 })
  const after = run('bbb222', { sampledRatio: 0.75, sampledCpu: 33, extractNs: 505, recovery: undefined })
  const table = renderComparison(before, after)
  assert.match(table, /^### Compared with commit aaa111/)
  assert.match(table, /\| http: Node 24, -c 50, sampled: req\/s vs bare \| 0\.600 \| 0\.750 \| \+25\.0 % \| better \|/)
  assert.match(table, /\| http: Node 24, -c 50, sampled: server CPU us\/req \| 30 \| 33 \| \+10\.0 % \| worse \|/)
  assert.match(table, /\| micro: W3C traceparent extract: ns\/op \| 500 \| 505 \| \+1\.0 % \| same \|/)
  // Bare Fastify's ratio is 1 by definition: not a figure. A figure only one run has is left out.
  assert.doesNotMatch(table, /bare: req\/s vs bare/)
  assert.doesNotMatch(table, /recovery/)
})

test('runs with no figure in common say so', () => {
  const table = renderComparison(
    { mode: 'quick', machine: {}, micro: [{ name: 'a', nsPerOp: 1 }] },
    { mode: 'quick', machine: {}, micro: [{ name: 'b', nsPerOp: 1 }] }
  )
  assert.match(table, /no figure in common/)
  assert.equal(figuresOf({}).size, 0)
})

test("lifecycle timing's cost is a figure where lower is better, and its target reads the 'slow' row", () => {
  const lifecycle = (slow) => [
    { mode: 'slow', against: 'off', deltasMicros: [slow], medianDeltaMicros: slow },
    { mode: 'off2', against: 'off', deltasMicros: [0.02], medianDeltaMicros: 0.02 }
  ]
  const before = { mode: 'full', machine: { commit: 'aaa111' }, lifecycle: lifecycle(0.6) }
  const after = { mode: 'full', machine: { commit: 'bbb222' }, lifecycle: lifecycle(0.25) }
  assert.equal(figuresOf(after).get("lifecycle: 'slow' over 'off': us per request").better, 'lower')
  // The floor (two routes of one mode) is noise around zero: a change in it is not better or worse.
  assert.equal(figuresOf(after).has("lifecycle: 'off2' over 'off': us per request"), false)
  assert.match(renderComparison(before, after), /\| lifecycle: 'slow' over 'off': us per request \| 0\.600 \| 0\.250 \| -58\.3 % \| better \|/)
  const target = (results) => evaluateTargets(results).find((t) => t.name.startsWith("lifecycle timing 'slow'"))
  assert.equal(target(before).met, false)
  assert.equal(target(after).met, true)
  assert.equal(target({}).met, undefined)
})
