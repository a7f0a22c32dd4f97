import type { ConfigFile } from './config-file.js'
import type { Setting } from './options.js'
import { fileLabel, type Resolver } from './resolver.js'

/**
 * After a resolution from a configuration file: the values the resolvers read from the file's
 * variables say where in the file they are (`source: 'file'`, `path`), and the warnings name the
 * place in the file instead of the variable it stood for. The file's own notices (what it leaves
 * out, what is not acted on) join the warnings.
 */
export function applyFileProvenance (config: object, r: Resolver, file: ConfigFile): void {
  relabelSettings(config as Record<string, unknown>, file)
  const { warnings, codedWarnings } = r
  for (let i = 0; i < warnings.length; i++) warnings[i] = relabel(warnings[i]!, file)
  for (let i = 0; i < codedWarnings.length; i++) {
    codedWarnings[i] = { ...codedWarnings[i]!, message: relabel(codedWarnings[i]!.message, file) }
  }
  for (const notice of file.notices) warnings.push(`${file.file}: ${notice}`)
  if (file.notActedOn.length > 0) {
    const listed = file.notActedOn.map(({ path, reason }) => `${path} (${reason})`)
    warnings.push(`${file.file}: not acted on by this package: ${listed.join('; ')}.`)
  }
}

function relabelSettings (node: Record<string, unknown>, file: ConfigFile): void {
  for (const [key, value] of Object.entries(node)) {
    if (value === null || typeof value !== 'object' || Object.isFrozen(value)) continue
    const setting = value as Setting<unknown>
    if ('source' in setting && 'value' in setting) {
      const path = setting.source === 'env' && setting.env !== undefined ? file.paths.get(setting.env) : undefined
      if (path !== undefined) node[key] = { value: setting.value, source: 'file', path }
    } else {
      relabelSettings(value as Record<string, unknown>, file)
    }
  }
}

/** A warning about the file's variables, said about the file: each variable becomes its place in the file. */
function relabel (warning: string, file: ConfigFile): string {
  let text = warning
  let touched = false
  // The longest names first, so that no name is replaced inside a longer one.
  const names = [...file.paths.keys()].sort((a, b) => b.length - a.length)
  for (const name of names) {
    const pattern = new RegExp(`\\b${name}\\b(=?)`, 'g')
    text = text.replace(pattern, (_, equals: string) => {
      touched = true
      return `${fileLabel(file, file.paths.get(name)!)}${equals === '' ? '' : ' = '}`
    })
  }
  return touched ? text.replaceAll(' from the environment', ' from the configuration file') : text
}
