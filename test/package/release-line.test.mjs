// The version a user installs tells the same story as the docs: the changelog's newest entry is
// the package's version, the release line the README sends Node 20 users to is not this one (an
// `npm install fastify-otel-kit@0.1` that resolved to a version needing Node 22 would fail them),
// and the Node floor the README states is the one `engines` enforces.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const read = (file) => readFileSync(join(root, file), 'utf8')
const manifest = JSON.parse(read('package.json'))

test("the changelog's newest entry is the package's version", () => {
  const [, newest] = read('CHANGELOG.md').match(/^## (\d+\.\d+\.\d+)\b/m) ?? []
  assert.equal(newest, manifest.version)
})

test('the release line for older Node versions is not the current version', () => {
  for (const file of ['README.md', 'docs/guides/getting-started.md']) {
    const lines = [...read(file).matchAll(/npm install fastify-otel-kit@(\d+(?:\.\d+)?)/g)].map(([, line]) => line)
    assert.ok(lines.length > 0, `${file} names no release line for Node 20`)
    for (const line of lines) {
      const inLine = manifest.version === line || manifest.version.startsWith(`${line}.`)
      const needs = `${manifest.version}, which needs Node ${manifest.engines.node}`
      assert.ok(!inLine, `${file}: fastify-otel-kit@${line} would install ${needs}`)
    }
  }
})

test("the README's Node floor is the one engines enforces", () => {
  const [, floor] = manifest.engines.node.match(/^>=(\d+\.\d+)\.0$/) ?? []
  assert.ok(floor, `engines.node is ${manifest.engines.node}`)
  assert.match(read('README.md'), new RegExp(`\\| Node\\.js \\| ${floor.replace('.', '\\.')} or later`))
})

test('publishing needs the changelog entry dated: the check before npm publish refuses an undated one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'release-check-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const check = (heading) => {
    writeFileSync(join(dir, 'CHANGELOG.md'), `# Changelog\n\n${heading}\n\nText.\n`)
    const run = spawnSync(process.execPath, [join(root, 'scripts/release-check.mjs'), join(root, 'package.json'),
      join(dir, 'CHANGELOG.md')], { encoding: 'utf8' })
    return { status: run.status, stderr: run.stderr }
  }
  const undated = check(`## ${manifest.version} (not yet published)`)
  assert.equal(undated.status, 1)
  assert.match(undated.stderr, /write the release date/)
  assert.equal(check(`## ${manifest.version} (2026-12-08)`).status, 0)
  assert.match(check('## 9.9.9 (2026-12-08)').stderr, /newest entry is 9\.9\.9/)
  assert.match(manifest.scripts.prepublishOnly, /release-check\.mjs/)
})
