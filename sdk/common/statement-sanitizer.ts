/**
 * Statements without the values in them. The database semantic conventions say that query text
 * which is not parameterized is not collected unless it is sanitized, and sanitizing means every
 * literal replaced with `?`; a Redis command's arguments are its values (and a job queue's
 * payload). Both sanitizers only ever remove: what they cannot read is replaced, never kept.
 */

const PLACEHOLDER = '?'

/** How a SQL dialect quotes: what `"` means, and whether a backslash escapes inside quotes. */
export interface SqlDialect {
  /** `"..."` is a string (MySQL's default) rather than an identifier (standard SQL). */
  doubleQuotedStrings: boolean
  /** A backslash escapes the next character in a quoted string (MySQL's default). */
  backslashEscapes: boolean
}

export const STANDARD_SQL: SqlDialect = Object.freeze({ doubleQuotedStrings: false, backslashEscapes: false })
export const MYSQL: SqlDialect = Object.freeze({ doubleQuotedStrings: true, backslashEscapes: true })

const SINGLE = 0x27 // '
const DOUBLE = 0x22 // "
const BACKTICK = 0x60 // `
const BACKSLASH = 0x5c
const DOLLAR = 0x24
const DASH = 0x2d
const SLASH = 0x2f
const STAR = 0x2a
const DOT = 0x2e

function isDigit (c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** Letters, digits, `_`, `$`, `@`, `#` and anything past ASCII: characters that continue a name. */
function isNameChar (c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    isDigit(c) ||
    c === 0x5f ||
    c === DOLLAR ||
    c === 0x40 ||
    c === 0x23 ||
    c > 0x7f
  )
}

/**
 * `text` with every string, number and dollar-quoted literal replaced by `?` and comments removed;
 * names, keywords, operators and placeholders (`$1`, `?`, `:name`, `@p1`) stay. The same string
 * when there was nothing to replace: a parameterized query costs one scan and no copy.
 * An unterminated literal or comment takes the rest of the text with it.
 */
export function sanitizeSql (text: string, dialect: SqlDialect = STANDARD_SQL): string {
  const length = text.length
  let out: string | undefined
  let copied = 0
  const replace = (from: number, to: number, by: string): void => {
    out = (out ?? '') + text.slice(copied, from) + by
    copied = to
  }
  let i = 0
  while (i < length) {
    const c = text.charCodeAt(i)
    if (c === SINGLE || (c === DOUBLE && dialect.doubleQuotedStrings)) {
      // Postgres' E'...' strings escape with a backslash whatever the dialect's default.
      const escapes = dialect.backslashEscapes || (i > 0 && (text.charCodeAt(i - 1) | 0x20) === 0x65 && c === SINGLE)
      const end = quotedEnd(text, i, c, escapes)
      replace(i, end, PLACEHOLDER)
      i = end
    } else if (c === DOUBLE || c === BACKTICK) {
      // A quoted name: kept as it is.
      i = quotedEnd(text, i, c, false)
    } else if (c === DASH && text.charCodeAt(i + 1) === DASH) {
      const end = text.indexOf('\n', i)
      const stop = end === -1 ? length : end
      replace(i, stop, '')
      i = stop
    } else if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
      const end = text.indexOf('*/', i + 2)
      const stop = end === -1 ? length : end + 2
      replace(i, stop, ' ')
      i = stop
    } else if (c === DOLLAR && !(i > 0 && isNameChar(text.charCodeAt(i - 1)))) {
      const end = dollarQuotedEnd(text, i)
      if (end === -1) {
        i++ // `$1`: a placeholder; its digits are skipped as part of a name below
        while (i < length && isNameChar(text.charCodeAt(i))) i++
      } else {
        replace(i, end, PLACEHOLDER)
        i = end
      }
    } else if (isDigit(c) || (c === DOT && isDigit(text.charCodeAt(i + 1)))) {
      const end = numberEnd(text, i)
      replace(i, end, PLACEHOLDER)
      i = end
    } else if (isNameChar(c)) {
      // A name or keyword (t1, col_2, @p1): its digits are not numbers.
      while (i < length && isNameChar(text.charCodeAt(i))) i++
    } else {
      i++
    }
  }
  return out === undefined ? text : out + text.slice(copied)
}

/** Where the quoted run starting at `start` ends (past its closing quote; a doubled quote continues it). */
function quotedEnd (text: string, start: number, close: number, backslashEscapes: boolean): number {
  const length = text.length
  let i = start + 1
  while (i < length) {
    const c = text.charCodeAt(i)
    if (backslashEscapes && c === BACKSLASH) {
      i += 2
    } else if (c === close) {
      if (text.charCodeAt(i + 1) !== close) return i + 1
      i += 2
    } else {
      i++
    }
  }
  return length
}

/** `$tag$ ... $tag$` (PostgreSQL): where it ends, or -1 when `$` does not open one. */
function dollarQuotedEnd (text: string, start: number): number {
  let i = start + 1
  if (isDigit(text.charCodeAt(i))) return -1
  while (i < text.length && isNameChar(text.charCodeAt(i)) && text.charCodeAt(i) !== DOLLAR) i++
  if (text.charCodeAt(i) !== DOLLAR) return -1
  const tag = text.slice(start, i + 1)
  const close = text.indexOf(tag, i + 1)
  return close === -1 ? text.length : close + tag.length
}

/** A number: digits, a fraction, an exponent, or a 0x/0b prefixed run, and no name right after. */
function numberEnd (text: string, start: number): number {
  let i = start
  while (i < text.length && (isNameChar(text.charCodeAt(i)) || text.charCodeAt(i) === DOT)) {
    const c = text.charCodeAt(i)
    // 1e-5, 1E+5
    if ((c | 0x20) === 0x65 && (text.charCodeAt(i + 1) === DASH || text.charCodeAt(i + 1) === 0x2b)) i++
    i++
  }
  return i
}

/**
 * A Redis command as a statement without its values: the command's name, then `?` for each
 * argument (`SET ? ?`, `EVALSHA ? ? ? ?`). Used as the Redis instrumentations' statement
 * serializer, so that a value (a job's payload, a cached document) is never turned into text.
 */
export function redisStatement (command: string, args: unknown): string {
  const count = Array.isArray(args) ? args.length : 0
  return count === 0 ? command : command + ' ?'.repeat(count)
}

/**
 * A Redis statement someone else serialized (`evalsha 1a2b 8 bull:emails:wait ... {"order":...}`),
 * sanitized the same way: the first word kept, every other word a `?`. An argument with spaces
 * gives several `?`; nothing of it is kept. The same string when it holds no value already.
 */
export function sanitizeRedisStatement (text: string): string {
  const words = text.split(/\s+/).filter((w) => w !== '')
  if (words.length <= 1 || words.every((w, i) => i === 0 || w === PLACEHOLDER)) return text
  return redisStatement(words[0]!, words.slice(1))
}

/**
 * What `db.system.name` (or the older `db.system`) says about how to sanitize a statement: as
 * SQL (in which dialect), as a Redis command, or not at all (a system whose instrumentation
 * records no values, or one this package does not know: MongoDB's replaces values with `?`
 * itself, memcached's records nothing unless asked to).
 */
export function statementKind (system: unknown): SqlDialect | 'redis' | undefined {
  if (typeof system !== 'string') return undefined
  if (REDIS_SYSTEMS.has(system)) return 'redis'
  if (MYSQL_SYSTEMS.has(system)) return MYSQL
  return SQL_SYSTEMS.has(system) ? STANDARD_SQL : undefined
}

const REDIS_SYSTEMS = new Set(['redis', 'valkey'])
const MYSQL_SYSTEMS = new Set(['mysql', 'mariadb', 'tidb'])
/** `db.system.name` values (current and earlier conventions) of databases queried in SQL, and Cassandra's CQL. */
const SQL_SYSTEMS = new Set([
  'postgresql',
  'cockroachdb',
  'mssql',
  'microsoft.sql_server',
  'oracle',
  'oracle.db',
  'sqlite',
  'db2',
  'ibm.db2',
  'redshift',
  'aws.redshift',
  'clickhouse',
  'trino',
  'h2',
  'h2database',
  'hsqldb',
  'derby',
  'sybase',
  'teradata',
  'vertica',
  'spanner',
  'gcp.spanner',
  'hanadb',
  'sap.hana',
  'snowflake',
  'duckdb',
  'other_sql',
  'cassandra'
])
