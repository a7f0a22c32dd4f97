import type { AttributeValue } from '@opentelemetry/api'
import type { Span } from '@opentelemetry/sdk-trace'
import { sanitizeRedisStatement, sanitizeSql, statementKind } from '../common/statement-sanitizer.js'

/** Where database spans keep their statement: current and older database conventions. */
const STATEMENT_ATTRIBUTES = ['db.query.text', 'db.statement'] as const
/** Parameter values: pg's enhancedDatabaseReporting, the conventions' opt-in `db.query.parameter.<key>`. */
const PARAMETER_VALUES = 'db.postgresql.values'
const PARAMETER_PREFIX = 'db.query.parameter.'

/**
 * The statements of database spans without the values in them, applied to every span before
 * export whoever made it (the preload configures the Redis instrumentations not to write values
 * at all; pg, mysql and the others write the query text as the application wrote it, literals
 * included). SQL is sanitized by the dialect `db.system.name` names, Redis commands keep only
 * their name, parameter values become `?`. Spans of other systems are left alone. Runs in
 * onEnding, beside the URL redaction. Off (`enabled: false`): statements are exported as the
 * instrumentations recorded them.
 */
export class SpanStatementRedaction {
  constructor (readonly enabled: boolean) {}

  apply (span: Span): void {
    if (!this.enabled) return
    const attributes = span.attributes
    const kind = statementKind(attributes['db.system.name'] ?? attributes['db.system'])
    if (kind === undefined) return
    for (const name of STATEMENT_ATTRIBUTES) {
      const value = attributes[name]
      if (typeof value !== 'string') continue
      const sanitized = kind === 'redis' ? sanitizeRedisStatement(value) : sanitizeSql(value, kind)
      if (sanitized !== value) span.setAttribute(name, sanitized)
    }
    for (const name of Object.keys(attributes)) {
      if (name === PARAMETER_VALUES || name.startsWith(PARAMETER_PREFIX)) {
        span.setAttribute(name, withoutValues(attributes[name]))
      }
    }
  }
}

/** A parameter value (or a list of them) as `?`, keeping how many there were. */
function withoutValues (value: AttributeValue | undefined): AttributeValue {
  return Array.isArray(value) ? value.map(() => '?') : '?'
}
