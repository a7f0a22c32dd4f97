// Every option the plugin accepts is documented, and every documented option is accepted: the option
// tables of docs/reference/options.md (and the README's compact one) against the option names the
// plugin checks at registration and the option types it ships.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import ts from 'typescript'
import { SDK_OPTION_KEYS } from '../../dist/sdk/config/resolve-config.js'
import { PLUGIN_OPTION_KEYS } from '../../dist/plugin/options.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const read = (file) => readFileSync(join(root, file), 'utf8')
const sorted = (names) => [...new Set(names)].sort()

/** The option names in the first column of every table whose first header cell is "option". */
function documentedOptions (markdown) {
  const names = []
  let inOptionTable = false
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      inOptionTable = false
      continue
    }
    const first = line.slice(1).split('|')[0].trim()
    if (first === 'option') {
      inOptionTable = true
      continue
    }
    if (!inOptionTable || /^[-: ]+$/.test(first)) continue
    names.push(...[...first.matchAll(/`([A-Za-z_$][\w$.]*)`/g)].map((m) => m[1]))
  }
  return sorted(names)
}

/**
 * Every option path the shipped types declare: the top-level properties of OtelPluginOptions, and
 * the properties of this package's own option interfaces under them (exporter.endpoint,
 * logs.batch.maxQueueSize...). Types from elsewhere (SpanExporter, Attributes) are values, not options.
 */
function typedOptions () {
  const entry = join(root, 'dist/plugin/index.d.ts')
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node']
  })
  const checker = program.getTypeChecker()
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)))
  let options = exports.find((s) => s.name === 'OtelPluginOptions')
  if (options.flags & ts.SymbolFlags.Alias) options = checker.getAliasedSymbol(options)
  const ours = (symbol) =>
    symbol?.declarations?.some((d) => d.getSourceFile().fileName.startsWith(join(root, 'dist'))) ?? false
  const paths = []
  const walk = (type, prefix) => {
    for (const property of checker.getPropertiesOfType(type)) {
      const path = prefix + property.name
      paths.push(path)
      const propertyType = checker.getNonNullableType(checker.getTypeOfSymbol(property))
      for (const member of propertyType.isUnion() ? propertyType.types : [propertyType]) {
        const symbol = member.aliasSymbol ?? member.getSymbol()
        if (symbol !== undefined && symbol.flags & ts.SymbolFlags.Interface && ours(symbol)) walk(member, `${path}.`)
      }
    }
  }
  walk(checker.getDeclaredTypeOfSymbol(options), '')
  return sorted(paths)
}

const accepted = sorted([...SDK_OPTION_KEYS, ...PLUGIN_OPTION_KEYS])
const typed = typedOptions()
const reference = documentedOptions(read('docs/reference/options.md'))
const readme = documentedOptions(read('README.md'))

test('the shipped option types and the names checked at registration agree', () => {
  assert.deepEqual(
    typed.filter((path) => !path.includes('.')),
    accepted
  )
})

test('docs/reference/options.md documents every option and nothing else', () => {
  assert.ok(reference.length > 0, 'docs/reference/options.md has no option table')
  assert.deepEqual(
    typed.filter((path) => !reference.includes(path)),
    [],
    'options without a row'
  )
  assert.deepEqual(
    reference.filter((path) => !typed.includes(path)),
    [],
    'rows for options the plugin does not have'
  )
})

test("the README's option table lists every top-level option and nothing the plugin does not have", () => {
  assert.deepEqual(
    accepted.filter((key) => !readme.includes(key)),
    [],
    'top-level options missing from the README'
  )
  assert.deepEqual(
    readme.filter((path) => !typed.includes(path)),
    [],
    'README rows for options the plugin does not have'
  )
})

/** `{ a: { b: undefined } }` for `a.b`: present, so its name is checked, and left to its default. */
const optionAt = (path) => path.split('.').reduceRight((inner, key) => ({ [key]: inner }), undefined)

test('the plugin accepts every documented option name at registration', async () => {
  for (const path of reference) {
    const app = Fastify({ logger: { stream: { write () {} } } }) // the option's own notices are not this test's
    const options = { serviceName: 'docs-options', handleSignals: false, ...optionAt(path) }
    await assert.doesNotReject(app.register(otelPlugin, options).ready(), `option ${path}`)
    await app.close()
  }
})
