import type { Setting } from '../sdk/config/options.js'
import type { ConfigResolution } from '../sdk/config/resolve-config.js'

/** Where a value came from, for the configuration table: `env OTEL_SERVICE_NAME`, `file .resource.attributes[0]`. */
export function sourceColumn (setting: Setting<unknown>): string {
  if (setting.source === 'env') return `env ${setting.env ?? ''}`
  if (setting.source === 'file') return `file ${setting.path ?? ''}`
  return setting.source
}

/** The precedence the table follows: the file takes the environment's place when there is one. */
export function precedenceLine (resolution: ConfigResolution): string {
  const first = resolution.config.configFile.value === undefined ? 'environment' : 'configuration file'
  return `Configuration (${first} > plugin options > defaults)`
}

/**
 * The configuration file in use, if any, every OTEL_* variable whose value was rejected, and every
 * one set that nothing acts on (by name, with the reason; never a value): with a file, the SDK
 * variables it replaces.
 */
export function writeEnvironment (
  resolution: ConfigResolution,
  invalid: readonly string[],
  write: (line: string) => void
): void {
  const { configFile } = resolution.config
  if (configFile.value !== undefined) {
    write('\nConfiguration file')
    write(
      `  ✓ ${configFile.env ?? 'OTEL_CONFIG_FILE'}=${configFile.value}: read and valid (file format 1.0/1.1). ` +
        'It replaces the SDK variables: a value from it shows `file <place in the file>` above.'
    )
  }
  write('\nEnvironment')
  const ignored = resolution.ignoredEnv
  for (const name of invalid) {
    write(`  ✗ ${name} has a value, or part of one, that is not used (the warning above says why)`)
  }
  if (ignored.length === 0) {
    if (invalid.length === 0) write('  ✓ every OTEL_* variable set is acted on')
    return
  }
  const count = ignored.length === 1 ? 'one OTEL_* variable is' : `${ignored.length} OTEL_* variables are`
  write(`  ! ${count} set but not acted on (values not shown):`)
  for (const { name, reason } of ignored) write(`    ${name.padEnd(36)} ${reason}`)
}

/** A configuration file that cannot be used: what the doctor says instead of the table. */
export function writeUnusableFile (error: Error, write: (line: string) => void): void {
  write('Configuration file')
  write(`  ✗ ${error.message.replace(/^fastify-otel-kit: /, '')}`)
}
