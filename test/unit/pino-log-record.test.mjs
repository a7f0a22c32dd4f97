// Parsing a pino line into a record's fields (plugin/pino-log-record.ts). The plugin's correlation
// fields (trace_id, span_id, trace_flags: bindings of request.log, left out of the record, which
// carries the trace context itself) are cut from the line before JSON.parse, where the writing
// logger's bindings end with them and only there: with or without that cut, the same fields.
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import { parsePinoLine } from '../../dist/plugin/pino-log-record.js'

const KEYS = Object.freeze({ messageKey: 'msg', errorKey: 'err' })
const CORRELATION = Object.freeze({
  trace_id: '0af7651916cd43dd8448eb211c80319c',
  span_id: 'b7ad6b7169203331',
  trace_flags: '01'
})
const LOOK_ALIKE = Object.freeze({
  kind: 'producer',
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  span_id: '00f067aa0ba902b7',
  trace_flags: '01'
})

/** A private pino symbol by its description, as the log bridge finds it. */
function pinoSymbol (logger, description) {
  for (let object = logger; object !== null; object = Object.getPrototypeOf(object)) {
    const found = Object.getOwnPropertySymbols(object).find((symbol) => symbol.description === description)
    if (found !== undefined) return found
  }
  return undefined
}

/** A pino logger whose lines are kept with the writing logger's serialized bindings, as the bridge keeps them. */
function recordingLogger () {
  const written = []
  const stream = {
    [Symbol.for('pino.metadata')]: true,
    write (line) {
      written.push({ line, bindings: this.lastLogger[pinoSymbol(this.lastLogger, 'pino.chindings')] })
    }
  }
  return { logger: pino({ level: 'info' }, stream), written }
}

test('a value that looks like the correlation fields, in a binding or in the call, is kept whole; the ' +
  "request logger's own correlation fields are left out", () => {
  const { logger, written } = recordingLogger()
  logger.child({ link: LOOK_ALIKE }).child(CORRELATION).info({ order: { ...LOOK_ALIKE } }, 'nested look-alikes')
  const [{ line, bindings }] = written
  const fields = parsePinoLine(line, KEYS, bindings)
  assert.deepStrictEqual(fields.attributes.link, LOOK_ALIKE)
  assert.deepStrictEqual(fields.attributes.order, LOOK_ALIKE)
  for (const key of Object.keys(CORRELATION)) assert.ok(!(key in fields.attributes), key)
  assert.equal(fields.body, 'nested look-alikes')
})

test('with or without the cut, a line parses to the same fields (random bindings, calls and nesting)', () => {
  const primitive = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null))
  const key = fc.oneof(fc.constantFrom('trace_id', 'span_id', 'trace_flags', 'msg', 'time', 'reqId'), fc.string())
  const value = fc.oneof(
    { weight: 4, arbitrary: primitive },
    { weight: 1, arbitrary: fc.constant(LOOK_ALIKE) },
    { weight: 1, arbitrary: fc.dictionary(key, primitive, { maxKeys: 3 }) }
  )
  let correlatedRuns = 0
  fc.assert(
    fc.property(
      fc.dictionary(key, value, { maxKeys: 3 }),
      fc.boolean(),
      fc.dictionary(key, value, { maxKeys: 4 }),
      fc.oneof(fc.string(), fc.constant(undefined)),
      (bindings, correlated, call, message) => {
        const { logger, written } = recordingLogger()
        let child = logger.child({ ...bindings })
        if (correlated) child = child.child(CORRELATION)
        child.info({ ...call }, message)
        const [{ line, bindings: serialized }] = written
        const withCut = parsePinoLine(line, KEYS, serialized)
        assert.deepStrictEqual(withCut, parsePinoLine(line, KEYS), line)
        if (correlated) correlatedRuns++
      }
    ),
    { numRuns: 300 }
  )
  assert.ok(correlatedRuns > 0)
})
