// A second copy of @opentelemetry/api in the application, or globals registered by another API
// version, silently turns spans into no-ops; the plugin detects both at registration and says so
// loudly, with the fix. Real child processes, an application folder with its own node_modules.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * An application folder whose own @opentelemetry/api says it is `version` (a copy of the installed
 * one with its version changed: what a different release looks like to the global registry).
 */
function applicationWithApi (t, version) {
  const dir = mkdtempSync(join(tmpdir(), 'fok-api-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const api = join(dir, 'node_modules', '@opentelemetry', 'api')
  mkdirSync(join(dir, 'node_modules', '@opentelemetry'), { recursive: true })
  cpSync(join(root, 'node_modules', '@opentelemetry', 'api'), api, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(api, 'package.json'), 'utf8'))
  writeFileSync(join(api, 'package.json'), JSON.stringify({ ...manifest, version }))
  for (const build of ['version.cjs', 'version.mjs']) {
    const file = join(api, 'dist', build)
    writeFileSync(file, readFileSync(file, 'utf8').replace(/VERSION = "[^"]+"/, `VERSION = "${version}"`))
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true }))
  return dir
}

function runIn (dir, source) {
  const out = execFileSync(process.execPath, ['-e', source], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_NO_WARNINGS: '' }
  })
  return JSON.parse(out.trim().split('\n').pop())
}

const scenario = (root) => `
  const warnings = []
  process.on('warning', (w) => {
    if (w.name === 'FastifyOtelKitWarning') warnings.push({ code: w.code, message: w.message })
  })
  // The application's API copy registers first (its diag logger), as an app's own setup would.
  const appApi = require('@opentelemetry/api')
  appApi.diag.setLogger({ error () {}, warn () {}, info () {}, debug () {}, verbose () {} })
  const fromRepo = require('node:module').createRequire(${JSON.stringify(root + '/package.json')})
  const Fastify = fromRepo('fastify')
  const { otelPlugin } = fromRepo('fastify-otel-kit')
  ;(async () => {
    const app = Fastify()
    const exporter = new (fromRepo('@opentelemetry/sdk-trace').InMemorySpanExporter)()
    await app.register(otelPlugin, { serviceName: 'two-copies', handleSignals: false, exporter })
    await new Promise((resolve) => setImmediate(resolve))
    await app.close()
    console.log(JSON.stringify(warnings))
  })()
`

test('an application with its own, different @opentelemetry/api copy that registered globals first: ' +
  'a loud warning with the fix', async (t) => {
  const dir = applicationWithApi(t, '1.11.0')
  const warnings = runIn(dir, scenario(root)).filter((w) => w.code === 'FOK_WARN_API_VERSIONS')
  assert.equal(warnings.length, 1)
  const [{ message }] = warnings
  assert.match(
    message,
    /@opentelemetry\/api is installed 2 times: 1\.11\.0 at .*fok-api-.*\(used by the application\); 1\.10\.\d+ at .*\(used by fastify-otel-kit, @opentelemetry\/sdk-trace/
  )
  assert.match(
    message,
    /the OpenTelemetry globals of this process were created by @opentelemetry\/api 1\.11\.0, while this package uses 1\.10\.\d+/
  )
  assert.match(
    message,
    /Fix: keep a single copy of @opentelemetry\/api .*npm ls @opentelemetry\/api.*npm dedupe.*overrides/
  )
})

test('one copy of the API everywhere: no API warning', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fok-api-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  // No node_modules here: the application resolves nothing of its own, the repository's copy is the one.
  const warnings = runIn(
    root,
    scenario(root).replace(
      "require('@opentelemetry/api')",
      `require(${JSON.stringify(join(root, 'node_modules/@opentelemetry/api'))})`
    )
  )
  assert.deepEqual(
    warnings.filter((w) => w.code === 'FOK_WARN_API_VERSIONS'),
    []
  )
})
