// Parsing a pino line into a record's fields (plugin/pino-log-record.ts). The plugin's correlation
// fields (trace_id, span_id, trace_flags: bindings of request.log) are left out of the record,
// which carries the trace context itself; the same keys inside a value are the value's.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import { PinoLogRecord, parsePinoLine } from '../../dist/plugin/pino-log-record.js'

const KEYS = Object.freeze({ messageKey: 'msg', errorKey: 'err', redactedQueryKeys: new Set() })
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

/** A queued record of `line`, under these limits, as the bridge makes it (plugin/log-bridge.ts). */
function queuedRecord (line, limits) {
  const sink = { resource: {}, scope: { name: 'test' }, keys: KEYS, limits, offer () {} }
  return new PinoLogRecord(line, 30, 'info', undefined, sink, '', undefined)
}

test('a queued line is cut by the record limits at export, exactly at them: the longest string kept ' +
  'whole at its length, cut one above it, in the body and in nested attributes', () => {
  const { logger, written } = recordingLogger()
  const value = 'v'.repeat(40)
  const message = 'm'.repeat(50)
  logger.info({ nested: { list: [value] } }, message)
  const line = written[0]
  const limits = (attributes, body) => ({
    attributeCountLimit: 128,
    attributeValueLengthLimit: attributes,
    bodyLengthLimit: body
  })
  const whole = queuedRecord(line, limits(40, 50))
  assert.deepEqual(whole.attributes.nested, { list: [value] })
  assert.equal(whole.body, message)
  const cut = queuedRecord(line, limits(39, 49))
  assert.deepEqual(cut.attributes.nested, { list: [value.slice(0, 39)] })
  assert.equal(cut.body, message.slice(0, 49))
  // A limit at the line's own length or above leaves everything as written.
  const roomy = queuedRecord(line, limits(line.length, line.length))
  assert.deepEqual(roomy.attributes.nested, { list: [value] })
  assert.equal(roomy.body, message)
})

test("the record's time and observed time are pino's time, and equal when pino wrote the time", () => {
  const { logger, written } = recordingLogger()
  logger.info('timed')
  const millis = JSON.parse(written[0]).time
  const limits = { attributeCountLimit: 128, attributeValueLengthLimit: 4096, bodyLengthLimit: 4096 }
  const record = queuedRecord(written[0], limits)
  assert.deepEqual(record.hrTime, [Math.floor(millis / 1000), (millis % 1000) * 1e6])
  assert.deepEqual(record.hrTimeObserved, record.hrTime)
})

test('a URL made longer by redaction is still cut at the record limits, even in a line shorter than them', () => {
  const { logger, written } = recordingLogger()
  // 100 empty `sig` values: each becomes sig=REDACTED, 8 characters more.
  logger.info({ req: { method: 'GET', url: `/x?${'sig=&'.repeat(100)}` } }, 'incoming request')
  const line = written[0]
  const limit = line.length + 10
  const sink = {
    resource: {},
    scope: { name: 'test' },
    keys: { ...KEYS, redactedQueryKeys: new Set(['sig']) },
    limits: { attributeCountLimit: 128, attributeValueLengthLimit: limit, bodyLengthLimit: limit },
    offer () {}
  }
  const record = new PinoLogRecord(line, 30, 'info', undefined, sink, '', undefined)
  assert.equal(record.attributes.req.url.length, limit)
  assert.ok(record.attributes.req.url.startsWith('/x?sig=REDACTED&sig=REDACTED&'))
})
