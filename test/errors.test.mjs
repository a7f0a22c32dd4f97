// Every error code the package can throw is documented in the README's error table.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'

const source = readFileSync(new URL('../sdk/errors.ts', import.meta.url), 'utf8')
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

test('each code in sdk/errors.ts has a row in the README error table', () => {
  const codes = [...new Set(source.match(/'FOK_ERR_[A-Z_]+'/g).map((c) => c.slice(1, -1)))]
  assert.ok(codes.length >= 7)
  for (const code of codes) assert.match(readme, new RegExp(`^\\| \`${code}\` \\|`, 'm'), `${code} is not documented`)
})
