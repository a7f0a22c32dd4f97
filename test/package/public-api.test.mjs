// The public API is what the docs say, and nothing else: each entry's exports (at run time, CommonJS
// and ES module, and in the shipped .d.ts/.d.mts, types included) are exactly the names the "What
// each entry exports" table of docs/reference/entry-points.md lists, the objects the plugin hands
// out are typed by interfaces whose members are that page's (no constructor, nothing writable), and
// the README's short list of entry points names each entry and no other.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = fileURLToPath(new URL('../..', import.meta.url))
const require = createRequire(import.meta.url)
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const REFERENCE = 'docs/reference/entry-points.md'
const docs = {
  [REFERENCE]: readFileSync(join(root, REFERENCE), 'utf8'),
  'README.md': readFileSync(join(root, 'README.md'), 'utf8')
}

/** The lines of the section under `heading` in `file`, up to the next heading. */
function section (heading, file = REFERENCE) {
  const lines = docs[file].split('\n')
  const start = lines.findIndex((line) => /^#+ /.test(line) && line.replace(/^#+ /, '') === heading)
  assert.notEqual(start, -1, `${file} has no section "${heading}"`)
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line))
  return lines.slice(start + 1, end === -1 ? undefined : end)
}

/** Identifiers written in backticks in a table cell (`inject(headers)` gives inject). */
const namesIn = (cell) => [...cell.matchAll(/`([A-Za-z_$][\w$]*)(?:\([^`]*\))?`/g)].map((m) => m[1])
const tableRows = (lines) =>
  lines
    .filter((l) => l.startsWith('|') && !/^\|[-| ]+\|$/.test(l))
    .slice(1)
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim())
    )
const sorted = (names) => [...new Set(names)].sort()

/** entry name -> { values, types }, from the reference. */
const documented = new Map(
  tableRows(section('What each entry exports')).map(([entry, values, types]) => [
    entry.replaceAll('`', ''),
    { values: sorted(namesIn(values)), types: sorted(namesIn(types)) }
  ])
)

const entries = Object.keys(manifest.exports)
  .filter((subpath) => subpath !== './package.json')
  .map((subpath) => ({ subpath, name: `fastify-otel-kit${subpath.slice(1)}`, target: manifest.exports[subpath] }))

const program = ts.createProgram(
  entries.flatMap(({ target }) => [join(root, target.require.types), join(root, target.import.types)]),
  {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node']
  }
)
const checker = program.getTypeChecker()
const resolve = (symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol)

/** Every export of a declaration file, by name. */
function typeExports (file) {
  const source = program.getSourceFile(join(root, file))
  assert.ok(source !== undefined, `${file} is not in the program`)
  return new Map(checker.getExportsOfModule(checker.getSymbolAtLocation(source)).map((s) => [s.name, resolve(s)]))
}

test('the reference documents every entry point of the exports map, and no other', () => {
  assert.deepEqual(sorted([...documented.keys()]), sorted(entries.map((e) => e.name)))
})

test('the README lists every entry point of the exports map, and no other', () => {
  const listed = tableRows(section('Entry points', 'README.md')).map(([entry]) => entry.replaceAll('`', ''))
  assert.deepEqual(sorted(listed), sorted(entries.map((e) => e.name)))
})

/** Entries that act when loaded (the preload sets the process's SDK up): not loaded in this process. */
const SIDE_EFFECT_ENTRIES = new Set(['fastify-otel-kit/register'])

for (const { name, target } of entries) {
  test(`${name}: the exports are exactly the documented ones, at run time and in the .d.ts and .d.mts`, async () => {
    const { values, types } = documented.get(name)
    if (SIDE_EFFECT_ENTRIES.has(name)) {
      assert.deepEqual([...values, ...types], [], `${name} exports nothing`)
      for (const file of [target.require.types, target.import.types]) {
        assert.deepEqual([...typeExports(file).keys()], [], file)
      }
      return
    }
    const cjs = Object.keys(require(join(root, target.require.default))).filter(
      (k) => k !== 'default' && k !== '__esModule'
    )
    assert.deepEqual(sorted(cjs), values, 'CommonJS')
    const esm = Object.keys(await import(join(root, target.import.default))).filter((k) => k !== 'default')
    assert.deepEqual(sorted(esm), values, 'ES module')
    for (const file of [target.require.types, target.import.types]) {
      const exported = typeExports(file)
      assert.deepEqual(sorted([...exported.keys()].filter((k) => k !== 'default')), sorted([...values, ...types]), file)
      // Classes are constructible: the only ones users get are the error classes they may check with instanceof.
      const classes = [...exported].filter(([, s]) => s.flags & ts.SymbolFlags.Class).map(([k]) => k)
      assert.deepEqual(
        classes.filter((k) => k !== 'OtelKitConfigError' && k !== 'OtelKitFlushError'),
        [],
        `${file} exports classes`
      )
    }
  })
}

/** The member names the reference documents for `app.otel` or `request.otel`. */
const membersDocumented = (heading) => sorted(tableRows(section(heading)).flatMap(([members]) => namesIn(members)))

for (const [type, heading] of [
  ['RequestTelemetry', '`request.otel`'],
  ['AppTelemetry', '`app.otel`']
]) {
  test(`${type} (${heading}) is an interface with the documented members, none of them writable`, () => {
    const symbol = typeExports(manifest.exports['.'].require.types).get(type)
    assert.ok(symbol.flags & ts.SymbolFlags.Interface, `${type} is not an interface`)
    assert.equal(symbol.flags & ts.SymbolFlags.Class, 0, `${type} is a class`)
    const members = checker.getDeclaredTypeOfSymbol(symbol).getProperties()
    assert.deepEqual(sorted(members.map((m) => m.name)), membersDocumented(heading))
    for (const member of members) {
      for (const declaration of member.declarations) {
        if (ts.isMethodSignature(declaration)) continue
        assert.ok(
          ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Readonly,
          `${type}.${member.name} is writable`
        )
      }
    }
  })
}
