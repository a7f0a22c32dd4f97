import { type DiagLogger, DiagLogLevel } from '@opentelemetry/api'
import { diagLogLevelFromString } from '@opentelemetry/core'
import { diag } from '../../context/otel-api.js'
import { withoutLogExport } from './log-export-guard.js'
import { describeForLog } from './describe.js'
import { DiagnosticSummary } from './diagnostic-summary.js'
import { type KitLogger, prints } from './kit-logger.js'
import { KIT_DIAG_LOGGER, type Warnings } from './warnings.js'

/** The summary of the diag logger this package installed, if it did. */
let current: DiagnosticSummary | undefined

/**
 * Routes OpenTelemetry's own diagnostics (failed registrations, exporter trouble) to where people
 * look, at OTEL_LOG_LEVEL or warn: the service's log when it prints them; otherwise warnings and
 * errors become process warnings (FOK_WARN_OTEL_DIAGNOSTIC: the first of each kind, then a count
 * of repeats per window, diagnostic-summary.ts) and the rest goes to stderr only when
 * OTEL_LOG_LEVEL asked for it. Arguments are described, never serialised: an SDK span or a gRPC
 * error reaches the transport's metadata, and with it the exporter's credentials. These lines are
 * never exported as log records (log-export-guard.ts says why).
 *
 * Returns whether the logger was installed.
 */
export function installDiagLogger (log: KitLogger | undefined, warnings: Warnings, level: string | undefined): boolean {
  const format = (message: string, args: unknown[]): string =>
    ['opentelemetry:', message, ...args.map(describeForLog)].join(' ')
  const explicit = level === undefined ? undefined : diagLogLevelFromString(level)
  const toStderr = (line: string): void => {
    process.stderr.write(`${line}\n`)
  }
  const summary = new DiagnosticSummary(warnings)
  const logger: DiagLogger = {
    error: (message, ...args) => {
      const line = format(message, args)
      if (prints(log, 'error')) withoutLogExport(() => log!.error(line))
      else summary.report(line)
    },
    warn: (message, ...args) => {
      const line = format(message, args)
      if (prints(log, 'warn')) withoutLogExport(() => log!.warn(line))
      else summary.report(line)
    },
    info: (message, ...args) => {
      if (prints(log, 'info')) withoutLogExport(() => log!.info(format(message, args)))
      else if (explicit !== undefined) toStderr(format(message, args))
    },
    debug: (message, ...args) => {
      if (prints(log, 'debug')) withoutLogExport(() => log!.debug(format(message, args)))
      else if (explicit !== undefined) toStderr(format(message, args))
    },
    verbose: (message, ...args) => {
      if (prints(log, 'debug')) withoutLogExport(() => log!.debug(format(message, args)))
      else if (explicit !== undefined) toStderr(format(message, args))
    }
  }
  const installed = diag.setLogger(logger, { logLevel: explicit ?? DiagLogLevel.WARN, suppressOverrideMessage: true })
  if (installed) {
    ;(globalThis as Record<symbol, unknown>)[KIT_DIAG_LOGGER] = true
    current = summary
  }
  return installed
}

/** Reports the diagnostics repeated since the last summary (at shutdown and exit). */
export function reportDiagnosticRepeats (): void {
  current?.flush()
}

/** Removes the diag logger this package installed, reporting its last repeats first. */
export function uninstallDiagLogger (): void {
  reportDiagnosticRepeats()
  current = undefined
  diag.disable()
  delete (globalThis as Record<symbol, unknown>)[KIT_DIAG_LOGGER]
}
