import { redisStatement } from '../common/statement-sanitizer.js'

export interface InstrumentationSettings {
  /** Statements without values (OTEL_INSTRUMENTATION_COMMON_DB_STATEMENT_SANITIZER_ENABLED, default true). */
  sanitizeStatements: boolean
}

/**
 * The configuration the preload gives an instrumentation it loads by short name, where the
 * instrumentation's own default would put values into spans; undefined leaves its defaults.
 *
 * - ioredis and redis serialize every argument of some commands into `db.query.text` by default
 *   (EVAL and EVALSHA among them: a BullMQ job's whole payload); they get a serializer that
 *   writes the command's name and a `?` per argument, so the payload never becomes text.
 * - mysql2 records the query as written unless `maskStatement` is on; it is turned on.
 * - pg, mysql, mongodb, memcached, cassandra-driver and oracledb record parameter values only
 *   with `enhancedDatabaseReporting`, off by default and left off; the literals pg and the other
 *   SQL instrumentations keep in the query text are replaced by the span processor chain, which
 *   sanitizes every database span before export (sdk/traces/span-statement-redaction.ts).
 */
export function instrumentationConfig (
  name: string,
  settings: InstrumentationSettings
): Record<string, unknown> | undefined {
  if (!settings.sanitizeStatements) return undefined
  switch (name) {
    case 'ioredis':
    case 'redis':
    case 'redis-4':
      return { dbStatementSerializer: redisStatement }
    case 'mysql2':
      return { maskStatement: true }
    default:
      return undefined
  }
}
