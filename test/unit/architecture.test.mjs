// The layering rules (docs/internals/architecture.md) hold for the package's sources, inside sdk/
// too, and no file imports itself through a chain; each rule can fail: a deliberately broken
// fixture tree breaks every one of them.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { checkRules, findCycles, importGraph } from '../architecture/import-graph.mjs'
import { LAYER_FOLDERS, RULES } from '../architecture/rules.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const brokenTree = fileURLToPath(new URL('../fixtures/architecture/', import.meta.url))

test('the package keeps its layers: every import points down, the worker side never reaches fastify', () => {
  const graph = importGraph(root, LAYER_FOLDERS)
  assert.ok(graph.size > 40, `expected the whole source tree, read ${graph.size} files`)
  const violations = checkRules(graph, RULES)
  assert.deepEqual(violations, [], `layering rules broken:\n${violations.join('\n')}`)
})

test('every rule fires on a tree that breaks it, naming the file and the import', () => {
  const violations = checkRules(importGraph(brokenTree, [...LAYER_FOLDERS, 'cli']), RULES)
  const fired = new Set(violations.map((v) => v.slice(0, v.indexOf(':'))))
  assert.deepEqual([...fired].sort(), RULES.map((r) => r.name).sort())
  assert.ok(
    violations.includes(
      "context-stands-alone: context/carrier.ts imports '../sdk/thing.js' " +
        '(context/ (propagation formats, carriers, scopes) imports nothing of ours outside context/)'
    ),
    violations.join('\n')
  )
  // A signal may write its own OTLP messages with export/protobuf/, never use a protocol.
  assert.ok(
    violations.some((v) => v.startsWith("signals-apart: sdk/traces/encoder.ts imports '../export/http/client.js'")),
    violations.join('\n')
  )
  assert.ok(!violations.some((v) => v.includes("'../export/protobuf/writer.js'")), violations.join('\n'))
  // A transitive breach is reported with its whole chain (the shortest one).
  assert.ok(
    violations.includes(
      'worker-thread-never-loads-fastify: workers/worker/task.ts -> workers/main/run.ts -> fastify ' +
        '(the files a worker thread loads must never reach plugin/ or fastify, through any chain of imports)'
    ),
    violations.join('\n')
  )
})

test('no import cycles anywhere in the sources', () => {
  const graph = importGraph(root, [...LAYER_FOLDERS, 'receiver', 'cli', 'demo'])
  assert.deepEqual(
    findCycles(graph).map((cycle) => cycle.join(' -> ')),
    []
  )
})

test('a cycle is found and named with its files', () => {
  const cycles = findCycles(importGraph(brokenTree, [...LAYER_FOLDERS, 'cli'])).map((cycle) => cycle.join(' -> '))
  // Two files that import each other, and a longer chain back to itself (a layering breach too).
  assert.ok(cycles.includes('sdk/traces/span.ts -> sdk/traces/other.ts -> sdk/traces/span.ts'), cycles.join('\n'))
  assert.ok(cycles.includes('workers/main/run.ts -> workers/worker/task.ts -> workers/main/run.ts'), cycles.join('\n'))
})
