// What `npm pack` puts in the tarball: everything the exports map, the types and the CLI reach
// (the receiver too: `fastify-otel-kit receive` starts it), and nothing else (no demo, no source
// maps pointing at sources that are not shipped).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, posix } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const npm = process.env.npm_execpath?.endsWith('.js') ? [process.execPath, process.env.npm_execpath] : ['npm']
const [packed] = JSON.parse(
  execFileSync(npm[0], [...npm.slice(1), 'pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore']
  })
)
const shipped = new Set(packed.files.map((f) => f.path))
const normal = (path) => posix.normalize(path.replace(/^\.\//, ''))

/**
 * The layers the public entries and the CLI are built from (the CLI's `receive` runs the
 * receiver); demo/ is not among them.
 */
const SHIPPED_DIRS = ['cli', 'context', 'plugin', 'preload', 'receiver', 'sdk', 'workers']

test('every export target, the main and types fields and the bin are in the tarball', () => {
  const targets = [manifest.main, manifest.types, ...Object.values(manifest.bin)]
  for (const target of Object.values(manifest.exports)) {
    if (typeof target === 'string') targets.push(target)
    else for (const condition of Object.values(target)) targets.push(condition.types, condition.default)
  }
  for (const target of targets) assert.ok(shipped.has(normal(target)), `${target} is not in the tarball`)
  assert.match(readFileSync(join(root, manifest.bin['fastify-otel-kit']), 'utf8'), /^#!\/usr\/bin\/env node\n/)
})

test('nothing outside the shipped layers and the documentation: no demo, no source maps', () => {
  const allowed = new RegExp(
    '^(package\\.json|README\\.md|CHANGELOG\\.md|LICENSE|docs/.+\\.md|' +
      `dist/(${SHIPPED_DIRS.join('|')})/.+\\.(js|mjs|d\\.ts|d\\.mts))$`
  )
  assert.ok(shipped.has('docs/reference/options.md'), 'the documentation is shipped: messages point into it')
  assert.deepEqual(
    [...shipped].filter((path) => !allowed.test(path)),
    []
  )
  for (const dir of SHIPPED_DIRS) {
    assert.ok(
      [...shipped].some((p) => p.startsWith(`dist/${dir}/`)),
      `dist/${dir} is missing`
    )
  }
  for (const path of shipped) {
    if (path.startsWith('dist/')) assert.doesNotMatch(readFileSync(join(root, path), 'utf8'), /sourceMappingURL/, path)
  }
})

/** Module specifiers of require(), import ... from, export ... from and import(), outside comments. */
function specifiers (source) {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const found = []
  for (const m of code.matchAll(
    /\brequire\(\s*["']([^"']+)["']\s*\)|\bfrom\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm
  )) {
    found.push(m[1] ?? m[2] ?? m[3] ?? m[4])
  }
  return found
}

test('every import in the shipped code resolves to a shipped file or a declared dependency', () => {
  const declared = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)])
  const builtins = new Set(builtinModules)
  const problems = []
  let relative = 0
  for (const path of shipped) {
    if (!/\.(js|mjs|d\.ts|d\.mts)$/.test(path)) continue
    const isTypes = /\.d\.m?ts$/.test(path)
    for (const specifier of specifiers(readFileSync(join(root, path), 'utf8'))) {
      if (specifier.startsWith('.')) {
        relative++
        const target = posix.join(dirname(path), specifier)
        // A declaration file names the module's JavaScript file; its types sit next to it.
        const candidates = isTypes ? [target.replace(/\.js$/, '.d.ts').replace(/\.mjs$/, '.d.mts')] : [target]
        if (!candidates.some((c) => shipped.has(c))) problems.push(`${path}: ${specifier}`)
      } else if (!specifier.startsWith('node:') && !builtins.has(specifier)) {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]
        if (!declared.has(name)) problems.push(`${path}: ${specifier} is not a dependency or peer dependency`)
      }
    }
  }
  assert.deepEqual(problems, [])
  assert.ok(relative > 100, `only ${relative} relative imports found: the scan is broken`)
})
