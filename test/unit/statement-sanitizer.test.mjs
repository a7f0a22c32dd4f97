// Database statements without values: SQL literals replaced with `?` by dialect, Redis commands
// reduced to their name and a `?` per argument, parameter values gone, applied to spans by the
// system they name. The real instrumentations' spans are checked end to end in
// test/e2e/queues-bullmq.test.mjs (pg and ioredis on real servers).
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  MYSQL,
  redisStatement,
  sanitizeRedisStatement,
  sanitizeSql,
  STANDARD_SQL,
  statementKind
} from '../../dist/sdk/common/statement-sanitizer.js'
import { SpanStatementRedaction } from '../../dist/sdk/traces/span-statement-redaction.js'
import { instrumentationConfig } from '../../dist/sdk/instrumentations/configure.js'
import { resolveSdkConfig } from '../../dist/sdk/config/resolve-config.js'

describe('sanitizeSql', () => {
  const cases = [
    ['SELECT * FROM orders WHERE id = $1', 'SELECT * FROM orders WHERE id = $1'],
    ["SELECT * FROM users WHERE email = 'ann@example.com'", 'SELECT * FROM users WHERE email = ?'],
    ["INSERT INTO t (a, b) VALUES ('it''s', 42), (-1.5e-3, .5)", 'INSERT INTO t (a, b) VALUES (?, ?), (-?, ?)'],
    ['SELECT t1.col_2, "Quoted Name" FROM t1 LIMIT 10', 'SELECT t1.col_2, "Quoted Name" FROM t1 LIMIT ?'],
    ['SELECT $$secret body$$, $tag$more $$ inside$tag$', 'SELECT ?, ?'],
    ["SELECT E'it\\'s', 'C:\\' AS path", 'SELECT E?, ? AS path'],
    ['SELECT 0xFF, x FROM y -- card 4111111111111111\nWHERE z = :name', 'SELECT ?, x FROM y \nWHERE z = :name'],
    ['SELECT /* ssn 123-45-6789 */ a FROM b WHERE c = @p1 AND d = ?', 'SELECT   a FROM b WHERE c = @p1 AND d = ?'],
    ["SELECT 'unterminated secret", 'SELECT ?']
  ]
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.equal(sanitizeSql(text), expected))
  }

  test('a parameterized statement comes back as the same string (nothing copied)', () => {
    const text = 'UPDATE orders SET status = $1 WHERE id = $2'
    assert.equal(sanitizeSql(text), text)
  })

  test('MySQL: double-quoted strings and backslash escapes; backticks are names', () => {
    assert.equal(
      sanitizeSql('SELECT `order` FROM t WHERE a = "x\\" y" AND b = \'c\\\'d\' AND e = 7', MYSQL),
      'SELECT `order` FROM t WHERE a = ? AND b = ? AND e = ?'
    )
    assert.equal(sanitizeSql('SELECT "x" FROM t', STANDARD_SQL), 'SELECT "x" FROM t')
  })

  test('any string value inside a literal is gone, in both dialects', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.boolean(), (value, mysql) => {
        const quoted = mysql
          ? `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
          : `'${value.replaceAll("'", "''")}'`
        const out = sanitizeSql(`SELECT a FROM t WHERE b = ${quoted} AND c = $1`, mysql ? MYSQL : STANDARD_SQL)
        assert.equal(out, 'SELECT a FROM t WHERE b = ? AND c = $1')
      })
    )
  })

  test('any number is gone', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), (n) => {
        const out = sanitizeSql(`SELECT a FROM t WHERE b = ${n}`)
        assert.match(out, /^SELECT a FROM t WHERE b = -?\?$/, `${n} -> ${out}`)
      })
    )
  })
})

describe('Redis statements', () => {
  test("the name and a '?' per argument; no argument is turned into text", () => {
    const payload = Buffer.from('{"orderId":"ord-7421","card":"4111"}')
    assert.equal(redisStatement('evalsha', ['abc123', 2, 'bull:emails:wait', payload]), 'evalsha ? ? ? ?')
    assert.equal(redisStatement('ping', []), 'ping')
  })

  test('a statement serialized by someone else is reduced the same way, and left alone when it has no values', () => {
    assert.equal(sanitizeRedisStatement('set session:ann {"token":"abc def"}'), 'set ? ? ?')
    assert.equal(sanitizeRedisStatement('set ? ?'), 'set ? ?')
    assert.equal(sanitizeRedisStatement('connect'), 'connect')
  })
})

test('the system decides how a statement is read', () => {
  assert.equal(statementKind('redis'), 'redis')
  assert.equal(statementKind('mysql'), MYSQL)
  assert.equal(statementKind('postgresql'), STANDARD_SQL)
  assert.equal(statementKind('mongodb'), undefined, 'MongoDB statements are JSON, sanitized by its instrumentation')
  assert.equal(statementKind(undefined), undefined)
})

/** A span as the processor chain sees it in onEnding: attributes, and setAttribute. */
function span (attributes) {
  return {
    attributes: { ...attributes },
    setAttribute (key, value) {
      this.attributes[key] = value
    }
  }
}

describe('SpanStatementRedaction', () => {
  test('database spans: statements sanitized by their system, parameter values replaced', () => {
    const pg = span({
      'db.system.name': 'postgresql',
      'db.query.text': "SELECT * FROM orders WHERE id = 'ord-7421'",
      'db.postgresql.values': ['ord-7421', '4111'],
      'db.query.parameter.card': '4111'
    })
    const redis = span({ 'db.system': 'redis', 'db.statement': 'evalsha 1a 1 k {"card":"4111"}' })
    const redaction = new SpanStatementRedaction(true)
    redaction.apply(pg)
    redaction.apply(redis)
    assert.deepEqual(pg.attributes, {
      'db.system.name': 'postgresql',
      'db.query.text': 'SELECT * FROM orders WHERE id = ?',
      'db.postgresql.values': ['?', '?'],
      'db.query.parameter.card': '?'
    })
    assert.equal(redis.attributes['db.statement'], 'evalsha ? ? ? ?')
  })

  test('other spans, and every span when turned off, are left as they are', () => {
    const http = span({ 'url.full': "https://x/?q='a'", 'db.query.text': "'kept'" })
    const pg = span({ 'db.system.name': 'postgresql', 'db.query.text': "SELECT 'kept'" })
    new SpanStatementRedaction(true).apply(http)
    new SpanStatementRedaction(false).apply(pg)
    assert.equal(http.attributes['db.query.text'], "'kept'")
    assert.equal(pg.attributes['db.query.text'], "SELECT 'kept'")
  })
})

test('the preload configures the instrumentations that would write values, and only while sanitizing', () => {
  const on = { sanitizeStatements: true }
  assert.equal(instrumentationConfig('ioredis', on).dbStatementSerializer('set', ['k', 'v']), 'set ? ?')
  assert.equal(instrumentationConfig('redis', on).dbStatementSerializer, redisStatement)
  assert.deepEqual(instrumentationConfig('mysql2', on), { maskStatement: true })
  assert.equal(instrumentationConfig('pg', on), undefined, 'pg writes no values by default')
  assert.equal(instrumentationConfig('ioredis', { sanitizeStatements: false }), undefined)
})

test('the switch is on by default, off from the environment, a bad value warned about', () => {
  const name = 'OTEL_INSTRUMENTATION_COMMON_DB_STATEMENT_SANITIZER_ENABLED'
  assert.deepEqual(resolveSdkConfig({}, {}).config.dbStatementSanitizer, { value: true, source: 'default' })
  assert.deepEqual(resolveSdkConfig({}, { [name]: 'false' }).config.dbStatementSanitizer, {
    value: false,
    source: 'env',
    env: name
  })
  const bad = resolveSdkConfig({}, { [name]: 'no' })
  assert.equal(bad.config.dbStatementSanitizer.value, true)
  assert.ok(bad.warnings.some((w) => w.startsWith(`${name}="no" is invalid`)), bad.warnings.join('\n'))
})
