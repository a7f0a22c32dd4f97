// Every warning code the package can give has a row in docs/reference/warnings.md, and every code
// documented there is one the package gives.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { codesInSources, documentedCodes } from '../docs-sync.mjs'

test('warning codes: the sources and docs/reference/warnings.md name the same codes, one row each', () => {
  const source = codesInSources('FOK_WARN_')
  const documented = documentedCodes('docs/reference/warnings.md', 'FOK_WARN_')
  assert.ok(source.length >= 11, `only ${source.length} codes found in the sources`)
  assert.deepEqual(documented, [...new Set(documented)], 'a code has two rows')
  assert.deepEqual(
    source.filter((code) => !documented.includes(code)),
    [],
    'codes the package gives without a row'
  )
  assert.deepEqual(
    documented.filter((code) => !source.includes(code)),
    [],
    'rows for codes the package never gives'
  )
})
