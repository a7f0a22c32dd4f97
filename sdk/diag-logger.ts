import { type DiagLogger, DiagLogLevel } from '@opentelemetry/api'
import { diag } from '../context/otel-api.js'
import { diagLogLevelFromString } from '@opentelemetry/core'

/** The subset of a Fastify (pino) logger the SDK side uses. */
export interface KitLogger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/**
 * Routes OpenTelemetry's own diagnostics (failed registrations, exporter trouble) into the
 * service's log, at OTEL_LOG_LEVEL or warn. Without this they go nowhere. Returns whether the
 * logger was installed.
 */
export function installDiagLogger (log: KitLogger, level: string | undefined): boolean {
  const format = (message: string, args: unknown[]): string =>
    ['opentelemetry:', message, ...args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : safeJson(a)))].join(' ')
  const logger: DiagLogger = {
    error: (message, ...args) => log.error(format(message, args)),
    warn: (message, ...args) => log.warn(format(message, args)),
    info: (message, ...args) => log.info(format(message, args)),
    debug: (message, ...args) => log.debug(format(message, args)),
    verbose: (message, ...args) => log.debug(format(message, args))
  }
  const logLevel = (level === undefined ? undefined : diagLogLevelFromString(level)) ?? DiagLogLevel.WARN
  return diag.setLogger(logger, { logLevel, suppressOverrideMessage: true })
}

function safeJson (value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
