// The package's import graph, read from its TypeScript sources, and a checker for layering rules.
// Type-only imports count: a layer that names another layer's types depends on it all the same.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import ts from 'typescript'

/** Every .ts file under `folders` (relative to `root`), as posix paths relative to `root`. */
function sourceFiles (root, folders) {
  const files = []
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name)
      if (statSync(full).isDirectory()) walk(full)
      else if ((name.endsWith('.ts') || name.endsWith('.mts')) && !name.endsWith('.d.ts') && !name.endsWith('.d.mts')) {
        files.push(toPosix(relative(root, full)))
      }
    }
  }
  for (const folder of folders) walk(join(root, folder))
  return files.sort()
}

const toPosix = (path) => path.split(sep).join('/')

/**
 * `{ file -> [{ specifier, target }] }`: `target` is the imported source file for a relative
 * import (`./x.js` is compiled from `./x.ts`), or the package name for a bare one.
 */
export function importGraph (root, folders) {
  const graph = new Map()
  for (const file of sourceFiles(root, folders)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true)
    graph.set(
      file,
      importedFiles.map(({ fileName: specifier }) => ({
        specifier,
        target: specifier.startsWith('.')
          ? toPosix(join(dirname(file), specifier)).replace(/\.js$/, '.ts')
          : packageName(specifier)
      }))
    )
  }
  return graph
}

function packageName (specifier) {
  if (specifier.startsWith('node:')) return specifier
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

const matches = (patterns, path) => patterns.some((pattern) => pattern.test(path))

/**
 * Checks `rules` against `graph`. A rule names the files it governs (`from`) and either the
 * imports they may not make (`forbidden`), the only imports of ours they may make (`allowedOurs`,
 * with `ours` saying which targets are ours), or what may not be reachable from them at all,
 * through any chain of imports (`unreachable`). Returns one message per broken import, naming
 * the rule, the file and the import.
 */
export function checkRules (graph, rules) {
  const violations = []
  for (const rule of rules) {
    for (const [file, imports] of graph) {
      if (!matches(rule.from, file)) continue
      if (rule.unreachable !== undefined) {
        const chain = findReachable(graph, file, rule.unreachable)
        if (chain !== undefined) violations.push(`${rule.name}: ${chain.join(' -> ')} (${rule.why})`)
        continue
      }
      // `sameFolder`: the rule's files may also import their own folder (and what is below it).
      const ownFolder = rule.sameFolder === true ? dirname(file) + '/' : undefined
      for (const { specifier, target } of imports) {
        const broken =
          rule.forbidden !== undefined
            ? matches(rule.forbidden, target)
            : matches(rule.ours, target) &&
              !matches(rule.allowedOurs, target) &&
              !(ownFolder !== undefined && target.startsWith(ownFolder))
        if (broken) violations.push(`${rule.name}: ${file} imports '${specifier}' (${rule.why})`)
      }
    }
  }
  return violations
}

/**
 * Import cycles among the graph's files: each cycle once, as its chain of files (the first file
 * repeated at the end). Type-only imports count here too.
 */
export function findCycles (graph) {
  const cycles = []
  const seen = new Set()
  const state = new Map()
  const stack = []
  const visit = (file) => {
    state.set(file, 'open')
    stack.push(file)
    for (const { target } of graph.get(file) ?? []) {
      if (!graph.has(target)) continue
      if (state.get(target) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(target)), target]
        const key = [...cycle.slice(0, -1)].sort().join(' ')
        if (!seen.has(key)) {
          seen.add(key)
          cycles.push(cycle)
        }
      } else if (!state.has(target)) {
        visit(target)
      }
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of graph.keys()) if (!state.has(file)) visit(file)
  return cycles
}

/** The first import chain from `start` to a target matching `patterns`, breadth first. */
function findReachable (graph, start, patterns) {
  const previous = new Map([[start, undefined]])
  const queue = [start]
  while (queue.length > 0) {
    const file = queue.shift()
    for (const { target } of graph.get(file) ?? []) {
      if (previous.has(target)) continue
      previous.set(target, file)
      if (matches(patterns, target)) {
        const chain = [target]
        for (let at = file; at !== undefined; at = previous.get(at)) chain.unshift(at)
        return chain
      }
      if (graph.has(target)) queue.push(target)
    }
  }
  return undefined
}
