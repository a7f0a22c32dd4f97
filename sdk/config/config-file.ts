import { type ConfigurationModel, parseConfigFile } from '@opentelemetry/configuration'
import { readFileSync } from 'node:fs'
import { parseDocument } from 'yaml'
import { configFileError } from '../errors.js'
import { readEnv } from './env-values.js'
import { type FileSettings, settingsFromModel } from './config-file-model.js'
import { mapMeterProvider } from './config-file-metrics.js'

/** The variables that name a configuration file, the current one first (it wins). */
export const CONFIG_FILE_VARIABLES = ['OTEL_CONFIG_FILE', 'OTEL_EXPERIMENTAL_CONFIG_FILE'] as const

/** The configuration file in use: where it is, and its settings. */
export interface ConfigFile extends FileSettings {
  /** The variable that named it. */
  variable: string
  /** Its path, as the variable gives it. */
  file: string
  /** The variables the file refers to (`${NAME}`): the file acts on them. */
  referenced: string[]
}

/** Which variable names a file, and the file, without reading it. */
export function configFileNamed (env: NodeJS.ProcessEnv): { variable: string; file: string } | undefined {
  for (const variable of CONFIG_FILE_VARIABLES) {
    const file = readEnv(env, variable)
    if (file !== undefined) return { variable, file }
  }
  return undefined
}

/**
 * The configuration file named by OTEL_CONFIG_FILE (or its former name), read, checked and parsed
 * into the settings it stands for; undefined when none is named. A file that cannot be used is an
 * error (FOK_ERR_CONFIG_FILE): the specification asks an SDK to fail fast on a bad configuration,
 * and a file is the whole configuration, so nothing sensible can stand in for it.
 *
 * Upstream's parser (`@opentelemetry/configuration`) does the environment variable substitution
 * (from the process's environment) and validates the file against the schema of file format 1.0
 * and 1.1. It reads YAML leniently (a duplicate key or a broken quote passes, with a guess at what
 * was meant), so the YAML is checked here first; its errors are named by line and column only,
 * since the text around them may be a credential.
 */
export function loadConfigFile (env: NodeJS.ProcessEnv): ConfigFile | undefined {
  const named = configFileNamed(env)
  if (named === undefined) return undefined
  const { variable, file } = named
  const fail = (reason: string): never => {
    throw configFileError(variable, file, reason)
  }
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    fail(`the file cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`)
  }
  const document = parseDocument(text, { version: '1.2', uniqueKeys: true })
  if (document.errors.length > 0) {
    const shown = document.errors.slice(0, 5).map((e) => {
      const at = e.linePos?.[0]
      return `${e.code}${at === undefined ? '' : ` at line ${at.line}, column ${at.col}`}`
    })
    fail(`it is not valid YAML: ${shown.join('; ')}${document.errors.length > 5 ? '; ...' : ''}`)
  }
  let model: ConfigurationModel = {}
  try {
    model = parseConfigFile(file)
  } catch (error) {
    // Upstream's messages name the file, the place in it and the rule broken, never a value.
    const message = (error as Error).message
      .replace(/^Invalid OpenTelemetry config file: /, 'it does not follow the file format: ')
      .replace(`${file}: `, '')
    fail(withKeysNamed(message, document.toJS() as unknown))
  }
  const settings = settingsFromModel(model, (reason) => fail(reason))
  // The meter provider maps onto the metrics variables the same way (its own file: one concern each).
  mapMeterProvider(
    model,
    (variable, value, path) => {
      if (value === undefined || value === null) return
      settings.env[variable] = String(value)
      settings.paths.set(variable, path)
    },
    settings,
    (reason) => fail(reason)
  )
  // Upstream substitutes an unset variable with nothing (the file format's rule): a credential
  // forgotten at deploy time would be sent empty, silently. Named, never a value.
  const unset = unsetReferences(document.toJS() as unknown, process.env)
  if (unset.length > 0) {
    settings.notices.push(
      `it refers to ${unset.map((name) => `\${${name}}`).join(', ')} without a default, and ` +
        `${unset.length === 1 ? 'that variable is' : 'those variables are'} not set (or empty): ` +
        `each stands for an empty value there (write ${'$'}{NAME:-value} where a default is meant).`
    )
  }
  return { variable, file, referenced: referencedVariables(text), ...settings }
}

/**
 * Upstream's message for a key the format does not have names the object, not the key
 * (`/tracer_provider/processors/0/batch must NOT have additional properties`): the keys that object
 * holds are added, so that the misspelt one can be seen. Keys only, never values.
 */
export function withKeysNamed (message: string, data: unknown): string {
  return message.replace(/(\S*) must NOT have additional properties/g, (whole, pointer: string) => {
    let node: unknown = data
    for (const part of pointer.split('/').slice(1)) {
      const key = part.replaceAll('~1', '/').replaceAll('~0', '~')
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined
    }
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return whole
    return `${whole} (it has: ${Object.keys(node).join(', ')})`
  })
}

/**
 * The variables the file's values refer to without a default (`${NAME}`, `${env:NAME}`; not in
 * comments, not escaped as `$${...}`) that `env` leaves unset or empty. `data`: the YAML as read.
 */
export function unsetReferences (data: unknown, env: NodeJS.ProcessEnv): string[] {
  const names = new Set<string>()
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(/(?<!\$)\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
        if (readEnv(env, match[1]!) === undefined) names.add(match[1]!)
      }
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item)
    } else if (value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) visit(item)
    }
  }
  visit(data)
  return [...names].sort()
}

/**
 * The variables a file refers to for substitution (`${NAME}`, `${env:NAME}`, `${NAME:-default}`),
 * not counting escaped ones (`$${...}`).
 */
export function referencedVariables (text: string): string[] {
  const names = new Set<string>()
  for (const match of text.matchAll(/(?<!\$)\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) {
    names.add(match[1]!)
  }
  return [...names].sort()
}
