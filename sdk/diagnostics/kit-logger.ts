/** The subset of a Fastify (pino) logger the core uses. */
export interface KitLogger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  warn(fields: Record<string, unknown>, message: string): void
  error(message: string): void
  /** pino's; absent on Fastify's disabled logger. */
  isLevelEnabled?(level: string): boolean
  level?: string
}

/** Whether `log` would print a line at `level` (Fastify's `logger: false` prints nothing). */
export function prints (log: KitLogger | undefined, level: 'debug' | 'info' | 'warn' | 'error'): boolean {
  if (log === undefined) return false
  if (typeof log.isLevelEnabled === 'function') return log.isLevelEnabled(level)
  return log.level !== undefined && log.level !== 'silent'
}
