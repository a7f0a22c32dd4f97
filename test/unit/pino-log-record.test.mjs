// Parsing a pino line into a record's fields (plugin/pino-log-record.ts). The plugin's correlation
// fields (trace_id, span_id, trace_flags: bindings of request.log) are left out of the record,
// which carries the trace context itself; the same keys inside a value are the value's.
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

/** A pino logger whose lines are kept as written. */
function recordingLogger () {
  const written = []
  return { logger: pino({ level: 'info' }, { write: (line) => written.push(line) }), written }
}

test('a value that looks like the correlation fields, in a binding or in the call, is kept whole; the ' +
  "request logger's own correlation fields are left out", () => {
  const { logger, written } = recordingLogger()
  logger.child({ link: LOOK_ALIKE }).child(CORRELATION).info({ order: { ...LOOK_ALIKE } }, 'nested look-alikes')
  const fields = parsePinoLine(written[0], KEYS)
  assert.deepStrictEqual(fields.attributes.link, LOOK_ALIKE)
  assert.deepStrictEqual(fields.attributes.order, LOOK_ALIKE)
  for (const key of Object.keys(CORRELATION)) assert.ok(!(key in fields.attributes), key)
  assert.equal(fields.body, 'nested look-alikes')
})
