// A log line's fields read from pino's metadata instead of parsing the line
// (plugin/pino-metadata-fields.ts) must be exactly what parsing gives (plugin/pino-log-record.ts,
// parsePinoLine): body, timestamp, and the attributes with their values and their order. Real pino
// loggers write random calls (fields of every JSON type, keys that repeat a binding or pino's own,
// messages of every type) under options that change what a line holds (serializers, redaction,
// formatters, a nested key, a streamWrite hook, other time functions and keys, custom levels,
// setBindings); wherever the metadata path answers, the two must agree.
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import { fieldsFromMetadata } from '../../dist/plugin/pino-metadata-fields.js'
import { parsePinoLine } from '../../dist/plugin/pino-log-record.js'

/** A private pino symbol by its description, as the bridge finds it. */
function pinoSymbol (logger, description) {
  for (let object = logger; object !== null; object = Object.getPrototypeOf(object)) {
    const found = Object.getOwnPropertySymbols(object).find((symbol) => symbol.description === description)
    if (found !== undefined) return found
  }
  return undefined
}

/** A pino logger writing into a metadata stream that reads each line both ways. */
function recordingLogger (options) {
  const reads = []
  const keys = { messageKey: options.messageKey ?? 'msg', errorKey: options.errorKey ?? 'err' }
  const internals = {}
  const stream = {
    [Symbol.for('pino.metadata')]: true,
    write (line) {
      const time = typeof this.lastTime === 'string' ? this.lastTime : ''
      const { lastLogger, lastObj, lastMsg, lastLevel } = this
      reads.push({
        line,
        fast: fieldsFromMetadata(internals, keys, lastLogger, lastObj, lastMsg, lastLevel, time, line),
        parsed: parsePinoLine(line, keys)
      })
    }
  }
  const logger = pino(options, stream)
  Object.assign(internals, {
    chindings: pinoSymbol(logger, 'pino.chindings'),
    levelPrefixes: pinoSymbol(logger, 'pino.lsCache'),
    nestedKey: pinoSymbol(logger, 'pino.nestedKey'),
    stringifiers: pinoSymbol(logger, 'pino.stringifiers')
  })
  return { logger, reads }
}

/** Both reads of one line agree, the attributes' order included. */
function assertSame ({ line, fast, parsed }) {
  assert.deepStrictEqual(fast.body, parsed.body, line)
  assert.deepStrictEqual(fast.timestamp, parsed.timestamp, line)
  assert.deepStrictEqual(Object.entries(fast.attributes), Object.entries(parsed.attributes), line)
}

const key = fc.oneof(
  fc.constantFrom('orderId', 'amount', 'ok', 'reqId', 'msg', 'message', 'err', 'time', 'level'),
  fc.constantFrom('trace_id', 'a', '__proto__'),
  fc.string({ maxLength: 6 })
)
const primitive = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 53 + 2, 1e21, undefined, null)
)
const value = fc.oneof(
  { weight: 6, arbitrary: primitive },
  { weight: 1, arbitrary: fc.array(primitive, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), primitive, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(() => 1, new Date(0), 10n, new Error('boom')) }
)
const fields = fc.dictionary(key, value, { maxKeys: 5 })
const message = fc.oneof(
  fc.string(),
  fc.constant(undefined),
  fc.integer(),
  fc.constant(null),
  fc.constantFrom('%s and %d', 'plain')
)

/** Options under which the metadata path must answer for some lines (true) or for none (false). */
const OPTIONS = {
  defaults: [{}, true],
  'base: null': [{ base: null }, true],
  'messageKey: message': [{ messageKey: 'message' }, true],
  'timestamp: false': [{ timestamp: false }, true],
  unixTime: [{ timestamp: pino.stdTimeFunctions.unixTime }, true],
  isoTime: [{ timestamp: pino.stdTimeFunctions.isoTime }, false],
  'a time of its own key': [{ timestamp: () => `,"ts":${Date.now()}` }, false],
  'a time with a leading zero': [{ timestamp: () => ',"time":0123' }, false],
  serializers: [{ serializers: { orderId: (v) => `serialized ${v}`, msg: () => 'x' } }, true],
  redaction: [{ redact: ['orderId', 'a'] }, false],
  'formatters.level': [{ formatters: { level: (label, number) => ({ level: number, severity: label }) } }, false],
  'formatters.log': [{ formatters: { log: (object) => ({ ...object, added: true }) } }, false],
  nestedKey: [{ nestedKey: 'payload' }, false],
  streamWrite: [{ hooks: { streamWrite: (line) => line.replace('"level"', '"lvl"') } }, false],
  mixin: [{ mixin: () => ({ mixed: 1 }) }, true],
  msgPrefix: [{ msgPrefix: '[prefix] ' }, true],
  'custom levels': [{ customLevels: { notice: 35 }, level: 'info' }, true]
}

for (const [name, [options, answers]] of Object.entries(OPTIONS)) {
  test(`${name}: where pino's metadata gives a line's fields, they are those parsing the line gives`, () => {
    let read = 0
    fc.assert(
      fc.property(
        fc.dictionary(key, primitive, { maxKeys: 3 }),
        fc.array(fc.tuple(fields, message), { minLength: 1, maxLength: 5 }),
        (bindings, calls) => {
          const { logger, reads } = recordingLogger({ level: 'info', ...options })
          let child
          try {
            child = logger.child(bindings)
          } catch {
            return // a binding pino itself refuses
          }
          for (const [object, msg] of calls) {
            try {
              child.info(object, msg)
              logger.info(object, msg)
            } catch {
              // pino throws on some values (a BigInt); nothing was written then
            }
          }
          child.setBindings({ later: 'binding' })
          child.info({ after: true }, 'after setBindings')
          if (typeof child.notice === 'function') child.notice({ orderId: 'n' }, 'a custom level')
          for (const one of reads) {
            if (one.fast === undefined) continue
            read++
            assertSame(one)
          }
        }
      ),
      { numRuns: 120 }
    )
    if (answers) assert.ok(read > 0, 'some lines are read from the metadata')
    else assert.equal(read, 0, 'no line is read from the metadata')
  })
}

test("with pino's defaults, the usual lines are read without parsing: plain fields and a message, bindings, " +
  'no fields, no message', () => {
  const { logger, reads } = recordingLogger({ level: 'info' })
  const child = logger.child({ reqId: 'req-1', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' })
  child.info({ orderId: 'ord-7421', amount: 49.99, ok: true }, 'refund requested')
  child.info('just a message')
  child.info({ orderId: 'ord-7422' })
  logger.warn({ path: '/a "quoted" \\ path\n' }, 'escapes')
  assert.equal(reads.length, 4)
  for (const read of reads) {
    assert.notEqual(read.fast, undefined, `read without parsing: ${read.line}`)
    assertSame(read)
  }
  assert.deepStrictEqual(Object.keys(reads[0].fast.attributes), ['pid', 'hostname', 'reqId', 'orderId', 'amount', 'ok'])
})

test('lines the metadata cannot give are left to parsing: objects, an error, a field that repeats a binding, ' +
  'a number JSON cannot write, a field with a serializer', () => {
  const { logger, reads } = recordingLogger({ level: 'info' })
  const child = logger.child({ reqId: 'req-1' })
  child.info({ order: { id: 1 } }, 'nested')
  child.error(new Error('boom'))
  child.info({ reqId: 'other' }, 'repeats a binding')
  child.info({ ratio: NaN }, 'not a number')
  child.info({ zero: -0 }, 'negative zero')
  const serialized = recordingLogger({ level: 'info', serializers: { orderId: (id) => `order ${id}` } })
  serialized.logger.child({ reqId: 'req-2' }).info({ orderId: 'ord-1' })
  const all = [...reads, ...serialized.reads]
  assert.equal(all.length, 6)
  for (const read of all) assert.equal(read.fast, undefined, read.line)
  assert.equal(serialized.reads[0].parsed.attributes.orderId, 'order ord-1')
})
