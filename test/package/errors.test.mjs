// Every error code the package can throw has a row in docs/reference/errors.md, and every code
// documented there is one the package can throw.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { codesInSources, documentedCodes } from '../docs-sync.mjs'

test('error codes: the sources and docs/reference/errors.md name the same codes, one row each', () => {
  const source = codesInSources('FOK_ERR_')
  const documented = documentedCodes('docs/reference/errors.md', 'FOK_ERR_')
  assert.ok(source.length >= 7, `only ${source.length} codes found in the sources`)
  assert.deepEqual(documented, [...new Set(documented)], 'a code has two rows')
  assert.deepEqual(
    source.filter((code) => !documented.includes(code)),
    [],
    'codes the package throws without a row'
  )
  assert.deepEqual(
    documented.filter((code) => !source.includes(code)),
    [],
    'rows for codes the package never throws'
  )
})
