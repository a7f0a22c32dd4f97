import { apiGlobals } from '../../context/api-globals.js'
import { diag } from '../../context/otel-api.js'
import { withoutLogExport } from './log-export-guard.js'
import { type KitLogger, prints } from './kit-logger.js'

/**
 * Every warning this package gives has a code (docs/reference/warnings.md), so it can be found, filtered
 * and documented. Warnings never carry a secret: the texts name settings, counts and reasons,
 * never header values or span contents.
 */
export type WarningCode =
  | 'FOK_WARN_CONFIG'
  | 'FOK_WARN_SPANS_DROPPED'
  | 'FOK_WARN_LOGS_DROPPED'
  | 'FOK_WARN_EXPORT_FAILED'
  | 'FOK_WARN_EXPORT_RETRYING'
  | 'FOK_WARN_EXPORT_RECOVERED'
  | 'FOK_WARN_SHUTDOWN_ABANDONED'
  | 'FOK_WARN_SHUTDOWN_SLOW'
  | 'FOK_WARN_SHUTDOWN_INTERRUPTED'
  | 'FOK_WARN_API_VERSIONS'
  | 'FOK_WARN_FASTIFY_INTERNALS'
  | 'FOK_WARN_OTEL_DIAGNOSTIC'
  | 'FOK_WARN_INSTRUMENTATION_MISSING'
  | 'FOK_WARN_LATE_START'
  | 'FOK_WARN_WORKER_SPANS_LOST'
  | 'FOK_WARN_DETECTOR_MISSING'
  | 'FOK_WARN_ENV_IGNORED'
  | 'FOK_WARN_EXPORT_DISABLED'
  | 'FOK_WARN_PROTOCOL_PORT'
  | 'FOK_WARN_DURATION_CLAMPED'
  | 'FOK_WARN_HEADER_TOO_LARGE'
  | 'FOK_WARN_METRICS_ENDPOINT'
  | 'FOK_WARN_METRICS_EXPORT_FAILED'

export interface Warnings {
  /**
   * Gives the warning to someone who will see it. `once` (the default) gives each distinct
   * warning once per channel; periodic summaries pass false. `loud` skips the application's diag
   * logger (for API version trouble, where that logger may belong to the mismatched copy).
   */
  warn(code: WarningCode, message: string, options?: { once?: boolean; loud?: boolean }): void
}

/** How many distinct once-warnings a channel remembers. */
const MAX_ONCE_WARNINGS = 256

/** Marks a diag logger this package installed: warnings must not loop back into it. */
export const KIT_DIAG_LOGGER = Symbol.for('fastify-otel-kit.diag-logger')

/**
 * Where warnings go: the Fastify logger when it prints warnings; else a diag logger the
 * application installed (not for `loud` ones); else Node's process warnings (stderr by default, `process.on('warning')`
 * for code), so that with `Fastify()` (logger off) nothing is silent.
 */
export function warningsFor (log: KitLogger | undefined): Warnings {
  /**
   * Given by this channel (one per plugin instance or preload): "once" means once here. Bounded:
   * once-warnings name settings and packages, a handful per process; should a caller ever pass
   * texts that vary, the oldest are forgotten rather than kept forever.
   */
  const given = new Set<string>()
  return {
    warn (code, message, { once = true, loud = false } = {}) {
      if (once) {
        const key = `${code} ${message}`
        if (given.has(key)) return
        if (given.size >= MAX_ONCE_WARNINGS) given.delete(given.values().next().value as string)
        given.add(key)
      }
      const text = `fastify-otel-kit: ${message}`
      if (prints(log, 'warn')) {
        // The code as a field of the log record, so it can be filtered on. Never exported as a
        // log record: a warning about log export must not feed log export.
        withoutLogExport(() => log!.warn({ code }, text))
      } else if (!loud && applicationDiagInstalled()) {
        diag.warn(`${text} [${code}]`)
      } else {
        process.emitWarning(text, { type: 'FastifyOtelKitWarning', code })
      }
    }
  }
}

function applicationDiagInstalled (): boolean {
  const logger = apiGlobals().diag as Record<symbol, unknown> | undefined
  // The API wraps the installed logger; ours marks the wrapper's delegate, found through the flag
  // the diag-logger module keeps on the global.
  return logger !== undefined && (globalThis as Record<symbol, unknown>)[KIT_DIAG_LOGGER] !== true
}
