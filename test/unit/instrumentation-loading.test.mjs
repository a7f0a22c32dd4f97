// The preload's instrumentations by name (OTEL_NODE_ENABLED_INSTRUMENTATIONS): a package that is
// not installed and one that exports no instrumentation class are told apart, for the warnings
// FOK_WARN_INSTRUMENTATION_MISSING gives of each; an installed one is built.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadInstrumentations } from '../../dist/sdk/instrumentations/load.js'

test('not installed, installed without an instrumentation class, and installed: missing, unusable, built', (t) => {
  const app = mkdtempSync(join(tmpdir(), 'fok-instrumentations-'))
  t.after(() => rmSync(app, { recursive: true, force: true }))
  writeFileSync(join(app, 'package.json'), '{"name":"app","version":"1.0.0"}')
  const hollow = join(app, 'node_modules', '@opentelemetry', 'instrumentation-hollow')
  mkdirSync(hollow, { recursive: true })
  writeFileSync(join(hollow, 'package.json'), '{"name":"@opentelemetry/instrumentation-hollow","main":"index.js"}')
  writeFileSync(join(hollow, 'index.js'), 'module.exports = { version: "1.0.0", helper () {} }\n')

  const loaded = loadInstrumentations(['absent', 'hollow', 'http'], app)
  assert.deepEqual(loaded.missing, ['absent'])
  assert.deepEqual(loaded.unusable, ['hollow'])
  assert.deepEqual(
    loaded.instrumentations.map((i) => i.instrumentationName),
    ['@opentelemetry/instrumentation-http']
  )
  for (const instrumentation of loaded.instrumentations) instrumentation.disable()
})
