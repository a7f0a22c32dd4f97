import type { ConfigResolution } from '../config/resolve-config.js'
import type { Warnings } from '../diagnostics/warnings.js'

/**
 * Gives the configuration's notices, once each: the plain ones as `FOK_WARN_CONFIG`, the others
 * with their own codes. Export turned off is loud: it must not end up only in a diag logger that
 * nobody reads, since the service's telemetry is going nowhere.
 */
export function reportConfigWarnings (
  resolution: Pick<ConfigResolution, 'warnings' | 'codedWarnings'>,
  warnings: Warnings
): void {
  for (const warning of resolution.warnings) warnings.warn('FOK_WARN_CONFIG', warning)
  for (const { code, message } of resolution.codedWarnings) {
    warnings.warn(code, message, { loud: code === 'FOK_WARN_EXPORT_DISABLED' })
  }
}
