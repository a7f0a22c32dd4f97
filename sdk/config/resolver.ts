import type { ConfigFile } from './config-file.js'
import type { ConfigWarning } from './config-warning.js'
import type { ConfigSource, Setting } from './options.js'
import { type Parsed, readEnv } from './env-values.js'

/** Where a setting came from, in words, for warnings. */
export function describeSource (setting: Setting<unknown>): string {
  if (setting.source === 'env') return setting.env ?? 'the environment'
  if (setting.source === 'file') {
    return `the configuration file${setting.path === undefined ? '' : ` (${setting.path})`}`
  }
  return setting.source === 'options' ? 'the plugin options' : 'the default'
}

/** A place in the configuration file, for warnings: `otel.yaml at .tracer_provider.sampler`. */
export function fileLabel (file: ConfigFile, path: string): string {
  return `${file.file} at ${path}`
}

/** A setting with no environment variable: the option, else the default. */
export function fromOption<T> (value: T | undefined, fallback: T): Setting<T> {
  return value === undefined ? { value: fallback, source: 'default' } : { value, source: 'options' }
}

/**
 * Applies the precedence environment > options > defaults and collects the warnings it owes the
 * user (overrides, rejected environment values), to be logged once each.
 */
export class Resolver {
  /** Plain notices (`FOK_WARN_CONFIG`). */
  readonly warnings: string[] = []
  /** Notices with a code of their own (export turned off, a duration clamped...). */
  readonly codedWarnings: ConfigWarning[] = []
  /**
   * `env`: the variables to read. With a configuration file, they are the file's settings written
   * as the variables they replace (config-file-model.ts), and `file` is the file.
   */
  constructor (
    readonly env: NodeJS.ProcessEnv,
    readonly file?: ConfigFile
  ) {}

  /** A coded notice, once: the spans' and the logs' settings may find the same problem. */
  warn (warning: ConfigWarning): void {
    if (!this.codedWarnings.some((w) => w.code === warning.code && w.message === warning.message)) {
      this.codedWarnings.push(warning)
    }
  }

  /**
   * A plain notice of another signal's settings, once: the logs' and the metrics' OTLP settings
   * read the same general variables as the spans', so the same override of the same option by the
   * same variable is given once, whatever the path each signal appends to the endpoint.
   */
  notice (warning: string): void {
    if (!this.warnings.some((w) => sameNotice(w, warning))) this.warnings.push(warning)
  }

  /**
   * One setting from the first valid variable in `envNames`, else the option, else the default.
   * `display` renders values for warnings (redacting where needed).
   */
  setting<T>(
    key: string,
    fromOptions: T | undefined,
    envNames: readonly string[],
    parse: (raw: string) => Parsed<T>,
    fallback: T,
    display: (value: T) => string = (v) => JSON.stringify(v),
    showRaw: (raw: string) => string = (raw) => JSON.stringify(raw)
  ): Setting<T> {
    const rejected: string[] = []
    let hit: { name: string; value: T } | undefined
    for (const name of envNames) {
      const raw = readEnv(this.env, name)
      if (raw === undefined) continue
      const parsed = parse(raw)
      if (parsed.ok) {
        hit = { name, value: parsed.value }
        break
      }
      rejected.push(`${name}=${showRaw(raw)} is invalid (${parsed.reason})`)
    }
    const result = this.decide(key, fromOptions, hit, fallback, display)
    for (const note of rejected) {
      this.warnings.push(`${note}; ignoring it and using ${display(result.value)} from ${describeSource(result)}.`)
    }
    return result
  }

  /** Applies the precedence to an already-read environment value and warns about an override. */
  decide<T>(
    key: string,
    fromOptions: T | undefined,
    hit: { name: string; value: T } | undefined,
    fallback: T,
    display: (value: T) => string = (v) => JSON.stringify(v)
  ): Setting<T> {
    if (hit === undefined) {
      return fromOptions !== undefined
        ? { value: fromOptions, source: 'options' }
        : { value: fallback, source: 'default' }
    }
    if (fromOptions !== undefined && !sameValue(fromOptions, hit.value)) {
      this.warnings.push(
        `${hit.name} overrides option ${key}: using ${display(hit.value)} from ${this.#fromWhere()} ` +
          `instead of ${display(fromOptions)} from the plugin options.`
      )
    }
    return { value: hit.value, source: 'env', env: hit.name }
  }

  /** Where the variables' values come from, in words. */
  #fromWhere (): string {
    return this.file === undefined ? 'the environment' : 'the configuration file'
  }
}

function sameValue (a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

export type { ConfigSource }

/** The same notice, or the same override of the same option by the same variable (`X overrides option Y:`). */
function sameNotice (a: string, b: string): boolean {
  if (a === b) return true
  const override = /^(\S+ overrides option \S+):/
  const left = override.exec(a)
  return left !== null && left[1] === override.exec(b)?.[1]
}
