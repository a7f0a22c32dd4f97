import { redactEndpoint } from '../sdk/config/endpoint.js'
import { shownTlsPath } from '../sdk/config/validate.js'
import type { Setting } from '../sdk/config/options.js'
import type { ConfigResolution } from '../sdk/config/resolve-config.js'
import type { OtelPluginOptions, ResolvedConfig } from '../plugin/options.js'
import { resolvePluginOptions } from '../plugin/resolve-options.js'
import { describeApiProblem, inspectApiVersions } from '../sdk/diagnostics/api-versions.js'
import { checkExports } from './export-check.js'
import { checkMetrics } from './doctor-metrics.js'
import { checkTlsFiles } from './doctor-tls.js'
import { sizeQueue } from './queue-sizing.js'
import { printRouteSummary } from './route-summary.js'
import { precedenceLine, sourceColumn, writeEnvironment, writeUnusableFile } from './doctor-environment.js'

export interface DoctorOptions {
  pluginOptions: OtelPluginOptions
  env: NodeJS.ProcessEnv
  peakRequestsPerSecond?: number
  spansPerRequest: number
  timeoutMillis: number
  export: boolean
  write: (line: string) => void
  /** The application folder whose @opentelemetry/api copies are checked. Default: the working directory. */
  cwd?: string
  /** A running service's app.otel.routeSummary(), as a URL that serves its JSON or a file holding it. */
  summary?: string
  /** Headers sent with the summary's URL (its credential); never printed. */
  summaryHeaders?: Record<string, string>
}

/**
 * Checks a service's tracing setup (configuration, API copies, the collector, a test span), and returns
 * whether everything passed: the resolved configuration with the source of each value, the
 * propagators, sampler and batch settings, one smoke span sent to the endpoint, and the queue size
 * against the peak load.
 */
export async function runDoctor (options: DoctorOptions): Promise<boolean> {
  const { write } = options
  write('fastify-otel-kit doctor\n')
  let resolution: ConfigResolution<ResolvedConfig>
  try {
    ;({ resolution } = resolvePluginOptions(options.pluginOptions, options.env))
  } catch (error) {
    if ((error as { code?: string }).code !== 'FOK_ERR_CONFIG_FILE') throw error
    writeUnusableFile(error as Error, write)
    write('\nSome checks failed (see above).')
    return false
  }
  const { config } = resolution
  let healthy = true

  write(precedenceLine(resolution))
  const rows = flatten(config).map(([key, setting]) => ({
    key,
    value: show(key, setting.value),
    source: sourceColumn(setting)
  }))
  // Columns as wide as their longest entry, so that every row lines up; a value longer than
  // VALUE_COLUMN (a long URL) pushes only its own row's source out.
  const keyWidth = Math.max(...rows.map((row) => row.key.length))
  const valueWidth = Math.min(VALUE_COLUMN, Math.max(...rows.map((row) => row.value.length)))
  for (const { key, value, source } of rows) write(`  ${key.padEnd(keyWidth)}  ${value.padEnd(valueWidth)}  ${source}`)
  // A signal's export turned off, or a variable's value ignored, is a setup that does not do what
  // it says: a failed check (a deploy gate must not pass it), not a notice.
  const invalid = invalidVariables(resolution.warnings, resolution.codedWarnings)
  if (resolution.warnings.length + resolution.codedWarnings.length > 0) {
    write('\nWarnings')
    for (const warning of resolution.codedWarnings) {
      const failing = FAILING_WARNINGS.has(warning.code)
      if (failing) healthy = false
      write(`  ${failing ? '✗' : '!'} ${warning.message} [${warning.code}]`)
    }
    for (const warning of resolution.warnings) {
      const failing = failingNotice(warning)
      if (failing) healthy = false
      write(`  ${failing ? '✗' : '!'} ${warning}`)
    }
  }
  if (invalid.length > 0) healthy = false
  write('')
  const extractOnly = config.extractOnly.value ? '; extract-only, nothing injected' : ''
  write(`Propagation: ${config.propagators.value.join(', ')} (extraction in this order${extractOnly})`)
  const ratio = config.sampler.value.endsWith('traceidratio') ? ` (ratio ${config.samplingRatio.value})` : ''
  write(`Sampler: ${config.sampler.value}${ratio}`)
  const batch = config.batch
  write(
    `Batch: ${batch.preset.value}: queue ${batch.maxQueueSize.value}, delay ${batch.scheduledDelayMillis.value} ms, ` +
      `batch ${batch.maxExportBatchSize.value}, export timeout ${batch.exportTimeoutMillis.value} ms`
  )
  if (config.disabled.value) write('Tracing is disabled (OTEL_SDK_DISABLED=true): the plugin will not export anything.')
  writeEnvironment(resolution, invalid, write)

  healthy = checkTlsFiles(resolution, write) && healthy

  write('\nPreload')
  const preload = preloadIn(options.env.NODE_OPTIONS)
  if (preload !== undefined) {
    write(`  ✓ NODE_OPTIONS has ${preload}: the SDK and the instrumentations start before the application loads`)
  } else {
    write(
      '  - NODE_OPTIONS has no fastify-otel-kit/register: the plugin sets the SDK up when it registers, ' +
        'which is enough for'
    )
    write(
      '    its own spans; auto-instrumentation (http, undici, database drivers) needs ' +
        '`node --import fastify-otel-kit/register`'
    )
    write('    (docs/guides/preload.md), or it misses modules loaded before the SDK.')
  }

  write('\nOpenTelemetry API')
  // The doctor's own main module is this CLI: only the application's folder speaks for the app.
  const api = inspectApiVersions(options.cwd ?? process.cwd(), null)
  const apiProblem = describeApiProblem(api)
  if (apiProblem === undefined) {
    write(
      `  ✓ one copy of @opentelemetry/api (${api.own?.version ?? 'unknown'}), ` +
        `shared by ${api.copies[0]?.usedBy.join(', ') ?? 'fastify-otel-kit'}`
    )
  } else {
    healthy = false
    write(`  ✗ ${apiProblem}`)
  }

  if (options.export) {
    write('\nExport (one real export per signal, over its protocol)')
    const exported = await checkExports(resolution, {
      env: options.env,
      pluginOptions: options.pluginOptions as Record<string, unknown>,
      timeoutMillis: options.timeoutMillis,
      write
    })
    healthy = exported && healthy
  }
  let metricsChecked: boolean
  try {
    metricsChecked = await checkMetrics(resolution, {
      smoke: options.export,
      timeoutMillis: options.timeoutMillis,
      write
    })
  } catch (error) {
    // The metric exporter could not be built (a TLS file from the options or a file): said, not a crash.
    metricsChecked = false
    write(`  ✗ metrics: ${(error as Error).message.replace(/^fastify-otel-kit: /, '')}`)
  }
  healthy = metricsChecked && healthy

  if (options.peakRequestsPerSecond !== undefined) {
    const sizing = sizeQueue(
      options.peakRequestsPerSecond,
      options.spansPerRequest,
      batch.scheduledDelayMillis.value,
      batch.maxQueueSize.value,
      batch.maxQueueBytes.value
    )
    write(
      `\nQueue sizing (peak ${options.peakRequestsPerSecond} req/s x ${options.spansPerRequest} spans x ` +
        `${batch.scheduledDelayMillis.value / 1000} s delay = ${sizing.needed} spans)`
    )
    const bound = megabytes(batch.maxQueueBytes.value)
    const encoded = `about ${megabytes(sizing.neededBytes)} encoded, at about 0.5 KB a span`
    if (sizing.fits) {
      write(
        `  ✓ maxQueueSize ${batch.maxQueueSize.value} holds the ${sizing.needed} spans ` +
          'that arrive during one schedule delay'
      )
    } else {
      healthy = false
      write(`  ✗ maxQueueSize ${batch.maxQueueSize.value} will drop spans at peak: it needs at least ${sizing.needed}.`)
      write(
        `    Set batch.maxQueueSize (or OTEL_BSP_MAX_QUEUE_SIZE) to ${sizing.suggestedQueueSize} ` +
          `(about ${sizing.suggestedMegabytes.toFixed(0)} MB of memory at peak),`
      )
      write(`    or lower batch.scheduledDelayMillis (OTEL_BSP_SCHEDULE_DELAY) to ${sizing.maxDelayMillis} ms or less.`)
    }
    if (sizing.bytesFit) {
      write(`  ✓ maxQueueBytes ${bound} holds the ${sizing.needed} spans (${encoded})`)
    } else {
      healthy = false
      write(`  ✗ maxQueueBytes ${bound} will drop spans at peak: the ${sizing.needed} spans take ${encoded}.`)
      write(
        `    Set batch.maxQueueBytes to ${sizing.suggestedQueueBytes} (${megabytes(sizing.suggestedQueueBytes)}; ` +
          `an option, no variable), or lower batch.scheduledDelayMillis to ${sizing.maxDelayMillisForBytes} ms or less.`
      )
    }
  }
  if (options.summary !== undefined) {
    healthy =
      (await printRouteSummary(options.summary, options.timeoutMillis, write, options.summaryHeaders ?? {})) &&
      healthy
  }
  write(healthy ? '\nAll checks passed.' : '\nSome checks failed (see above).')
  return healthy
}

/** The widest the value column of the settings grows. */
const VALUE_COLUMN = 56

/** Warnings the doctor counts as failed checks: a signal that will export nothing. */
const FAILING_WARNINGS = new Set(['FOK_WARN_EXPORT_DISABLED'])

/**
 * The resolution notices that say a setting is not what it was written to be, and so fail the
 * check: the variable a value was ignored from (group 1), when there is one.
 */
const FAILING_NOTICES: readonly RegExp[] = [
  // A value ignored: "NAME=value is invalid (reason)...".
  /^(OTEL_[A-Z0-9_]+)=.* is invalid \(/s,
  // Members of a list ignored: a header (the credential, often) or a resource attribute, from a
  // variable or from the configuration file (named by its place there).
  /^(OTEL_[A-Z0-9_]+)?[^\n]*?: skipping member \d/,
  // Names the package does not know: a propagator, a resource detector, a metrics exporter.
  /^(OTEL_[A-Z0-9_]+) names .*; (?:skipping (?:it|them)\b|skipped\.$)/s,
  // A configuration file's ${NAME} with nothing set: an empty value sent (a secret not mounted).
  /^[^\n]*: it refers to \$\{.* not set \(or empty\)/s
]

function failingNotice (warning: string): boolean {
  return FAILING_NOTICES.some((pattern) => pattern.test(warning))
}

/** The variable a failing resolution notice rejects, if it names one. */
function invalidVariable (warning: string): string | undefined {
  for (const pattern of FAILING_NOTICES) {
    const variable = pattern.exec(warning)?.[1]
    if (variable !== undefined) return variable
  }
  return undefined
}

/** The variables whose values were rejected, and those that turned a signal's export off. */
function invalidVariables (
  warnings: readonly string[],
  coded: ReadonlyArray<{ code: string; message: string }>
): string[] {
  const disabling = coded
    .filter((warning) => FAILING_WARNINGS.has(warning.code))
    .map((warning) => /^(OTEL_[A-Z0-9_]+) /.exec(warning.message)?.[1])
  return [
    ...new Set([...warnings.map(invalidVariable), ...disabling].filter((name): name is string => name !== undefined))
  ]
}

/** Every Setting in the resolved config, with a dotted key. */
function flatten (config: ResolvedConfig): Array<[string, Setting<unknown>]> {
  const out: Array<[string, Setting<unknown>]> = []
  const visit = (prefix: string, node: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix === '' ? key : `${prefix}.${key}`
      if (value === null || typeof value !== 'object') continue
      if ('source' in value && 'value' in value) out.push([path, value as Setting<unknown>])
      else visit(path, value as Record<string, unknown>)
    }
  }
  visit('', config as unknown as Record<string, unknown>)
  return out
}

function show (key: string, value: unknown): string {
  if (value === undefined) return '(unset)'
  if (key.endsWith('exporter.endpoint') && typeof value === 'string') return redactEndpoint(value)
  if (key.endsWith('File') && typeof value === 'string') {
    return shownTlsPath(value) === JSON.stringify(value) ? value : 'not shown (it may be key material)'
  }
  if (typeof value === 'string') return value
  return JSON.stringify(value)
}

/** The preload flag in NODE_OPTIONS, as written there, if any. */
function preloadIn (nodeOptions: string | undefined): string | undefined {
  return /--(import|require)[= ]+fastify-otel-kit\/register\b/.exec(nodeOptions ?? '')?.[0]
}

/** Bytes for a reader: `16 MiB`, `9.5 MiB`; the bound's Infinity as `no bound`. */
function megabytes (bytes: number): string {
  if (!Number.isFinite(bytes)) return 'no bound'
  const mib = bytes / (1024 * 1024)
  return `${mib >= 10 ? mib.toFixed(0) : mib.toFixed(1)} MiB`
}
