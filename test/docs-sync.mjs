// Shared by the tests that hold the docs and the sources to each other (errors, warnings).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('..', import.meta.url))

/** The folders whose TypeScript sources make the shipped entries. */
const SOURCE_DIRS = ['context', 'sdk', 'plugin', 'workers', 'preload', 'cli']

/** Every quoted code with this prefix ('FOK_ERR_') in the sources, wherever it is defined or used. */
export function codesInSources (prefix) {
  const codes = new Set()
  for (const dir of SOURCE_DIRS) {
    for (const file of readdirSync(join(root, dir), { recursive: true })) {
      if (!/\.m?ts$/.test(file)) continue
      for (const [code] of readFileSync(join(root, dir, file), 'utf8').matchAll(
        new RegExp(`(?<=')${prefix}[A-Z_]+(?=')`, 'g')
      )) { codes.add(code) }
    }
  }
  return [...codes].sort()
}

/** The codes in the first column of a reference page's table rows, in order, repeats kept. */
export function documentedCodes (file, prefix) {
  const text = readFileSync(join(root, file), 'utf8')
  return [...text.matchAll(new RegExp(`^\\| \`(${prefix}[A-Z_]+)\` \\|`, 'gm'))].map((m) => m[1])
}
