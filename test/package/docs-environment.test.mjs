// docs/reference/environment-variables.md and the inventory of variables (sdk/config/env-inventory.ts)
// name the same variables: every one the package acts on has a row in "Read", every one it knows
// and does not act on a row in "Known, not acted on", and no row names a variable the package
// does not know. (test/unit/env-inventory.test.mjs holds the inventory to what the code reads.)
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  ENV_NOT_ACTED_ON,
  ENV_PREFIXES_NOT_ACTED_ON,
  ENV_VARIABLES
} from '../../dist/sdk/config/env-inventory.js'
import { root } from '../docs-sync.mjs'

/** The variables in the first column of the table under each `## ` heading, by heading. */
function variablesBySection () {
  const text = readFileSync(join(root, 'docs/reference/environment-variables.md'), 'utf8')
  const sections = new Map()
  let current
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) {
      current = line.slice(3).trim()
      sections.set(current, [])
      continue
    }
    if (current === undefined || !line.startsWith('| `')) continue
    const first = line.slice(1).split('|')[0]
    for (const [, name] of first.matchAll(/`(OTEL_[A-Z0-9_]+\*?)`/g)) sections.get(current).push(name)
  }
  return sections
}

const sorted = (names) => [...names].sort()

test('every variable the package reads has a row under "Read", and every name there is read', () => {
  const documented = variablesBySection().get('Read')
  assert.ok(documented !== undefined && documented.length > 40, 'no "Read" table found')
  assert.deepEqual(documented, [...new Set(documented)], 'a variable is named twice')
  assert.deepEqual(sorted(documented), sorted(ENV_VARIABLES.keys()))
})

test('every variable known and not acted on has a row under "Known, not acted on", families as PREFIX*', () => {
  const documented = variablesBySection().get('Known, not acted on')
  assert.ok(documented !== undefined, 'no "Known, not acted on" table found')
  const expected = [...ENV_NOT_ACTED_ON.keys(), ...[...ENV_PREFIXES_NOT_ACTED_ON.keys()].map((prefix) => `${prefix}*`)]
  assert.deepEqual(sorted(documented), sorted(expected))
})
