// The docs hold together: every relative link in README.md, CHANGELOG.md and docs/ reaches a file
// that exists (and a heading that exists, for a #fragment), and what npm users read (the README,
// the changelog, the guides, the reference) cites no repository path they do not have.
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const docs = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(root, 'docs'), { recursive: true })
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f.replaceAll('\\', '/')}`)
]
const text = new Map(docs.map((file) => [file, readFileSync(join(root, file), 'utf8')]))

/** The Markdown without its code blocks (links and paths in code are examples, not citations). */
const prose = (markdown) => markdown.replace(/^(\s*)```[^\n]*\n[\s\S]*?^\s*```[^\n]*$/gm, '')

/** GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors (markdown) {
  const seen = new Map()
  const result = new Set()
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replaceAll(' ', '-')
    const n = seen.get(slug) ?? 0
    seen.set(slug, n + 1)
    result.add(n === 0 ? slug : `${slug}-${n}`)
  }
  return result
}

test('every relative link reaches a file, and a heading for a #fragment', () => {
  const broken = []
  for (const [file, markdown] of text) {
    for (const [, target] of prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue
      const [path, fragment] = target.split('#')
      const resolved = path === '' ? file : normalize(join(dirname(file), path)).replaceAll('\\', '/')
      if (!existsSync(join(root, resolved))) {
        broken.push(`${file}: ${target} (no ${resolved})`)
        continue
      }
      if (fragment !== undefined && !anchors(text.get(resolved) ?? '').has(fragment)) {
        broken.push(`${file}: ${target} (no heading #${fragment})`)
      }
    }
  }
  assert.deepEqual(broken, [])
})

test('the README, the guides and the reference cite no repository path', () => {
  const FOLDERS = [
    'bench',
    'cli',
    'context',
    'demo',
    'examples',
    'plugin',
    'preload',
    'receiver',
    'scripts',
    'sdk',
    'test',
    'workers'
  ]
  const repositoryPath = new RegExp(`(?<![\\w@./-])(?:${FOLDERS.join('|')})/[\\w./-]*`, 'g')
  const cited = []
  for (const [file, markdown] of text) {
    const read = ['README.md', 'CHANGELOG.md'].includes(file) || /^docs\/(guides|reference)\//.test(file)
    if (!read) continue
    for (const [path] of markdown.matchAll(repositoryPath)) cited.push(`${file}: ${path}`)
  }
  assert.deepEqual(cited, [])
})

test('the README stays short', () => {
  const lines = text.get('README.md').split('\n').length
  assert.ok(lines <= 300, `README.md has ${lines} lines; move the details to docs/`)
})

test('docs/README.md indexes every page under docs/', () => {
  const index = text.get('docs/README.md')
  const linked = new Set(
    [...prose(index).matchAll(/\]\(([^)#\s]+)/g)].map(([, target]) =>
      normalize(join('docs', target)).replaceAll('\\', '/')
    )
  )
  const pages = docs.filter((f) => f.startsWith('docs/') && f !== 'docs/README.md')
  assert.deepEqual(
    pages.filter((page) => !linked.has(page)).map((page) => relative('docs', page)),
    []
  )
})
