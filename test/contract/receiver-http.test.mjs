// The receiver's OTLP/HTTP side answers as the OTLP/HTTP specification says (200 with the response
// message in the request's content type, partial success, 400, 401, 404, 405, 413, 415), reads
// OTLP/JSON in all its allowed forms, and does what the tests need of it over HTTP as over gRPC:
// TLS, required headers, injected faults (each aimed at one transport) with Retry-After that
// upstream's exporter really waits for, countOnly, and stop/restart on the same ports.
import { diag, DiagLogLevel, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { OTLPLogExporter as LogsJson } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPMetricExporter as MetricsJson } from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc'
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { MessageWriter, readFields } from '../../dist/sdk/export/protobuf/protowire.js'
import { tlsFixture } from '../otlp-contract.mjs'

const resource = resourceFromAttributes({ 'service.name': 'receiver-http-test' })

/** `n` ended spans of one trace, made with the SDK. */
function makeSpans (n = 2) {
  const memory = new InMemorySpanExporter()
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] })
  const tracer = provider.getTracer('http-test')
  const root = tracer.startSpan('root')
  for (let i = 1; i < n; i++) tracer.startSpan(`child ${i}`, {}, trace.setSpan(ROOT_CONTEXT, root)).end()
  root.end()
  return memory.getFinishedSpans()
}

function makeLogs () {
  const memory = new InMemoryLogRecordExporter()
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: memory })] })
  const logger = provider.getLogger('http-test')
  logger.emit({ body: 'first' })
  logger.emit({ body: 'second' })
  return memory.getFinishedLogRecords()
}

async function makeMetrics () {
  const reader = new (class extends MetricReader {
    async onForceFlush () {}
    async onShutdown () {}
  })()
  const meter = new MeterProvider({ resource, readers: [reader] }).getMeter('http-test')
  meter.createCounter('orders').add(1)
  meter.createHistogram('latency').record(3)
  return (await reader.collect()).resourceMetrics
}

/** Exports with `exporter` and resolves with its result and how long the export took. */
async function exportOnce (exporter, items) {
  const started = performance.now()
  const result = await new Promise((resolve) => exporter.export(items, resolve))
  return { ...result, millis: performance.now() - started }
}

async function startReceiver (t, options) {
  const receiver = await OtlpReceiver.start(options)
  t.after(() => receiver.stop())
  return receiver
}

const post = (receiver, path, body, headers) =>
  fetch(`${receiver.httpEndpoint}${path}`, { method: 'POST', body, headers })
const PROTOBUF = { 'content-type': 'application/x-protobuf' }
const JSON_TYPE = { 'content-type': 'application/json' }

/** google.rpc.Status from a protobuf body. */
function decodeStatus (bytes) {
  const fields = readFields(Buffer.from(bytes))
  return {
    code: Number(fields.find((f) => f.field === 1)?.value ?? 0n),
    message: fields.find((f) => f.field === 2)?.value.toString('utf8') ?? ''
  }
}

/** A minimal valid OTLP/JSON trace request around `span`. */
const jsonTraces = (span) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] })
const TRACE_ID = '5b8efff798038103d269b633813fc60c'
const SPAN_ID = 'eee19b7ec3c1b174'

describe('answers as the OTLP/HTTP specification says', () => {
  test('404 elsewhere, 405 for other methods, 415 for other content types and encodings; none recorded', async (t) => {
    const receiver = await startReceiver(t)
    assert.equal((await post(receiver, '/v1/profiles', '', PROTOBUF)).status, 404)
    assert.equal((await post(receiver, '/', '', PROTOBUF)).status, 404)
    const get = await fetch(`${receiver.httpEndpoint}/v1/traces`)
    assert.equal(get.status, 405)
    assert.equal(get.headers.get('allow'), 'POST')
    const text = await post(receiver, '/v1/traces', 'hello', { 'content-type': 'text/plain' })
    assert.equal(text.status, 415)
    assert.match(await text.text(), /application\/x-protobuf or application\/json/)
    assert.equal((await post(receiver, '/v1/logs', '', {})).status, 415)
    assert.equal((await post(receiver, '/v1/traces', '', { ...PROTOBUF, 'content-encoding': 'br' })).status, 415)
    assert.deepEqual(receiver.exports, [])
  })

  test("200 with an empty response message in the request's content type; a charset parameter is fine", async (t) => {
    const receiver = await startReceiver(t)
    for (const path of ['/v1/traces', '/v1/logs', '/v1/metrics']) {
      const protobuf = await post(receiver, path, Buffer.alloc(0), PROTOBUF)
      assert.equal(protobuf.status, 200)
      assert.equal(protobuf.headers.get('content-type'), 'application/x-protobuf')
      assert.equal((await protobuf.arrayBuffer()).byteLength, 0)
      const charset = { 'content-type': 'application/json; charset=utf-8' }
      const json = await post(receiver, `${path}?ignored=1`, '{}', charset)
      assert.equal(json.status, 200)
      assert.equal(json.headers.get('content-type'), 'application/json')
      assert.deepEqual(await json.json(), {})
    }
    assert.deepEqual(
      receiver.exports.map((e) => [e.signal, e.contentType, e.httpStatus, e.code]),
      [
        ['traces', 'application/x-protobuf', 200, 0],
        ['traces', 'application/json', 200, 0],
        ['logs', 'application/x-protobuf', 200, 0],
        ['logs', 'application/json', 200, 0],
        ['metrics', 'application/x-protobuf', 200, 0],
        ['metrics', 'application/json', 200, 0]
      ]
    )
  })

  test('400 with a google.rpc.Status for what cannot be decoded: protobuf, JSON, OTLP/JSON rules, gzip', async (t) => {
    const receiver = await startReceiver(t)
    const truncated = await post(receiver, '/v1/traces', Buffer.from([0x0a, 0x05, 0x01]), PROTOBUF)
    assert.equal(truncated.status, 400)
    assert.equal(truncated.headers.get('content-type'), 'application/x-protobuf')
    const status = decodeStatus(await truncated.arrayBuffer())
    assert.equal(status.code, 3)
    assert.match(status.message, /undecodable request: truncated/)

    const cases = [
      ['not JSON', '{"resourceSpans": [', /body: expected JSON/],
      ['not an object', '[]', /body: expected a JSON object/],
      [
        "base64 ids (protobuf's mapping, not OTLP's)",
        jsonTraces({ traceId: 'W47/95gDgQPSabYzgT/GDA==', spanId: SPAN_ID }),
        /\.resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId: expected 32 hex digits/
      ],
      [
        'an enum by name',
        jsonTraces({ traceId: TRACE_ID, spanId: SPAN_ID, kind: 'SPAN_KIND_SERVER' }),
        /\.kind: expected an enum as an integer/
      ],
      [
        'a fractional int64',
        jsonTraces({ traceId: TRACE_ID, spanId: SPAN_ID, startTimeUnixNano: 1.5 }),
        /\.startTimeUnixNano: expected an integer/
      ],
      [
        'spans not a list',
        JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: {} }] }] }),
        /\.spans: expected an array/
      ]
    ]
    for (const [label, body, message] of cases) {
      const response = await post(receiver, '/v1/traces', body, JSON_TYPE)
      assert.equal(response.status, 400, label)
      assert.equal(response.headers.get('content-type'), 'application/json', label)
      const answer = await response.json()
      assert.equal(answer.code, 3, label)
      assert.match(answer.message, message, label)
    }
    const notGzip = await post(receiver, '/v1/logs', Buffer.from('plain'), { ...PROTOBUF, 'content-encoding': 'gzip' })
    assert.equal(notGzip.status, 400)
    assert.match(decodeStatus(await notGzip.arrayBuffer()).message, /undecodable gzip body/)
    // Decodable-but-refused requests reach the service and are recorded; the gzip failure is not.
    assert.equal(receiver.exports.length, 1 + cases.length)
    assert.ok(receiver.exports.every((e) => e.code === 3 && e.httpStatus === 400 && e.spanCount === 0))
    assert.deepEqual(receiver.spans, [])
  })

  test('413 past maxReceiveMessageBytes, before and after gunzip', async (t) => {
    const receiver = await startReceiver(t, { maxReceiveMessageBytes: 64 * 1024 })
    assert.equal((await post(receiver, '/v1/traces', Buffer.alloc(65 * 1024), PROTOBUF)).status, 413)
    // A small gzip body that inflates past the limit (a "zip bomb") is refused too.
    const bomb = gzipSync(Buffer.from(JSON.stringify({ resourceSpans: [], padding: 'x'.repeat(200 * 1024) })))
    assert.ok(bomb.length < 64 * 1024)
    const inflated = await post(receiver, '/v1/traces', bomb, { ...JSON_TYPE, 'content-encoding': 'gzip' })
    assert.equal(inflated.status, 413)
    assert.match(await inflated.text(), /once gunzipped/)
    const small = await post(receiver, '/v1/traces', gzipSync(Buffer.from('{}')), {
      ...JSON_TYPE,
      'content-encoding': 'gzip'
    })
    assert.equal(small.status, 200)
  })

  test('partial success: the response message says how many were rejected and why, in either format', async (t) => {
    const receiver = await startReceiver(t)
    const body = jsonTraces({ traceId: TRACE_ID, spanId: SPAN_ID, name: 'kept' })
    receiver.respondPartially(1, 'one span too large')
    assert.deepEqual(await (await post(receiver, '/v1/traces', body, JSON_TYPE)).json(), {
      partialSuccess: { rejectedSpans: '1', errorMessage: 'one span too large' }
    })
    receiver.respondPartially(2, 'two records too old')
    const logs = await post(receiver, '/v1/logs', Buffer.alloc(0), PROTOBUF)
    // ExportLogsServiceResponse { partial_success = 1 { rejected_log_records = 1; error_message = 2 } }
    const partial = readFields(readFields(Buffer.from(await logs.arrayBuffer()))[0].value)
    const fields = partial.map((f) => [f.field, Buffer.isBuffer(f.value) ? f.value.toString() : f.value])
    assert.deepEqual(fields, [
      [1, 2n],
      [2, 'two records too old']
    ])
    receiver.respondPartially(3, 'three points unknown')
    assert.deepEqual(await (await post(receiver, '/v1/metrics', '{}', JSON_TYPE)).json(), {
      partialSuccess: { rejectedDataPoints: '3', errorMessage: 'three points unknown' }
    })
    // Only the next success is partial.
    assert.deepEqual(await (await post(receiver, '/v1/traces', body, JSON_TYPE)).json(), {})
    assert.equal(receiver.spans.length, 2)
  })

  test("upstream's exporters read the partial success (they report it through diag)", async (t) => {
    const receiver = await startReceiver(t)
    const warnings = []
    const logger = {
      warn: (...args) => warnings.push(args.join(' ')),
      error () {},
      info () {},
      debug () {},
      verbose () {}
    }
    diag.setLogger(logger, DiagLogLevel.WARN)
    t.after(() => diag.disable())
    for (const Exporter of [TraceProto, TraceJson]) {
      receiver.respondPartially(1, `rejected by ${Exporter === TraceProto ? 'protobuf' : 'json'}`)
      const exporter = new Exporter({ url: `${receiver.httpEndpoint}/v1/traces` })
      assert.equal((await exportOnce(exporter, makeSpans())).code, 0)
      await exporter.shutdown()
    }
    const partials = warnings
      .filter((w) => w.startsWith('Received Partial Success response:'))
      .map((w) => JSON.parse(w.slice(w.indexOf('{'))))
    assert.deepEqual(
      partials.map((p) => [Number(p.rejectedSpans), p.errorMessage]),
      [
        [1, 'rejected by protobuf'],
        [1, 'rejected by json']
      ]
    )
  })
})

describe('OTLP/JSON as senders write it', () => {
  test('int64 as strings or numbers, big ints, special doubles, base64 bytes, upper-case hex, ' +
    'unknown keys', async (t) => {
    const receiver = await startReceiver(t)
    const span = {
      traceId: TRACE_ID.toUpperCase(),
      spanId: SPAN_ID,
      parentSpanId: '',
      name: 'hand written',
      kind: 2,
      startTimeUnixNano: '1700000000000000001',
      endTimeUnixNano: 1700000000000000000,
      flags: 769,
      future_field: { ignored: true },
      trace_id: 'snake_case keys are not OTLP/JSON and are ignored',
      attributes: [
        { key: 'int.string', value: { intValue: '42' } },
        { key: 'int.number', value: { intValue: -3 } },
        { key: 'int.big', value: { intValue: '9007199254740993' } },
        { key: 'double.nan', value: { doubleValue: 'NaN' } },
        { key: 'double.inf', value: { doubleValue: '-Infinity' } },
        { key: 'double.plain', value: { doubleValue: 0.25 } },
        { key: 'bytes', value: { bytesValue: Buffer.from('hello').toString('base64') } },
        { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { boolValue: true }, {}] } } },
        { key: 'map', value: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } } },
        { key: 'empty', value: {} }
      ],
      events: [{ timeUnixNano: '5', name: 'e' }],
      status: { code: 2 }
    }
    const response = await post(receiver, '/v1/traces', jsonTraces(span), JSON_TYPE)
    assert.equal(response.status, 200, await response.text())
    const [received] = receiver.spans
    assert.equal(received.traceId, TRACE_ID)
    assert.equal(received.startTimeUnixNano, 1700000000000000001n)
    assert.equal(received.endTimeUnixNano, 1700000000000000000n)
    assert.equal(received.flags, 769)
    assert.deepEqual(received.events, [{ timeUnixNano: 5n, name: 'e', attributes: {} }])
    assert.deepEqual(received.status, { code: 2, message: '' })
    assert.deepEqual(received.resource, {})
    assert.deepEqual(received.scope, { name: '', version: '' })
    assert.deepEqual(received.attributes, {
      'int.string': 42,
      'int.number': -3,
      'int.big': 9007199254740993n,
      'double.nan': Number.NaN,
      'double.inf': Number.NEGATIVE_INFINITY,
      'double.plain': 0.25,
      bytes: Buffer.from('hello'),
      list: ['a', true, ''],
      map: { k: 'v' },
      empty: ''
    })
  })

  test('metrics: counts and bounds as strings or numbers, a record without a body', async (t) => {
    const receiver = await startReceiver(t)
    const metrics = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'by-hand' } }] },
          scopeMetrics: [
            {
              scope: { name: 'm', version: '1' },
              metrics: [
                {
                  name: 'h',
                  unit: 'ms',
                  histogram: {
                    aggregationTemporality: 1,
                    dataPoints: [
                      { count: '3', sum: 7.5, bucketCounts: ['1', 2], explicitBounds: [5], timeUnixNano: '9' }
                    ]
                  }
                },
                { name: 'g', gauge: { dataPoints: [{ asInt: '-4' }] } }
              ]
            }
          ]
        }
      ]
    }
    assert.equal((await post(receiver, '/v1/metrics', JSON.stringify(metrics), JSON_TYPE)).status, 200)
    const [h, g] = receiver.metrics
    assert.deepEqual(
      [h.name, h.unit, h.type, h.temporality, h.resource, h.scope],
      ['h', 'ms', 'histogram', 1, { 'service.name': 'by-hand' }, { name: 'm', version: '1' }]
    )
    const [point] = h.dataPoints
    assert.deepEqual(
      [point.count, point.sum, point.bucketCounts, point.explicitBounds, point.timeUnixNano],
      [3, 7.5, [1, 2], [5], 9n]
    )
    assert.deepEqual([g.type, g.temporality, g.dataPoints[0].value], ['gauge', 0, -4])
    const records = [{ severityNumber: 17, body: {} }, { body: { stringValue: 'x' } }]
    const logs = { resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] }
    assert.equal((await post(receiver, '/v1/logs', JSON.stringify(logs), JSON_TYPE)).status, 200)
    assert.deepEqual(
      receiver.logs.map((l) => [l.severityNumber, l.body]),
      [
        [17, undefined],
        [0, 'x']
      ]
    )
  })
})

describe('what the tests need, over HTTP as over gRPC', () => {
  test("TLS: https with the receiver's certificate, for protobuf and JSON exporters", async (t) => {
    const tls = { cert: readFileSync(tlsFixture('server.pem')), key: readFileSync(tlsFixture('server.key')) }
    const receiver = await startReceiver(t, { tls })
    assert.match(receiver.httpEndpoint, /^https:\/\/localhost:\d+$/)
    const httpAgentOptions = { ca: readFileSync(tlsFixture('ca.pem')) }
    const traces = new TraceProto({ url: `${receiver.httpEndpoint}/v1/traces`, httpAgentOptions })
    const logs = new LogsJson({ url: `${receiver.httpEndpoint}/v1/logs`, httpAgentOptions })
    assert.equal((await exportOnce(traces, makeSpans(3))).code, 0)
    assert.equal((await exportOnce(logs, makeLogs())).code, 0)
    await Promise.all([traces.shutdown(), logs.shutdown()])
    assert.deepEqual([receiver.spans.length, receiver.logs.map((l) => l.body)], [3, ['first', 'second']])
    // A client that does not trust the certificate is refused by TLS itself.
    const untrusting = new TraceProto({ url: `${receiver.httpEndpoint}/v1/traces` })
    const refused = await exportOnce(untrusting, makeSpans())
    await untrusting.shutdown()
    assert.equal(refused.code, 1)
    assert.match(refused.error.message, /certificate/)
    assert.equal(receiver.exports.length, 2)
  })

  test('required headers: 401 with a google.rpc.Status without them, the export kept with them', async (t) => {
    const receiver = await startReceiver(t, { requiredHeaders: { authorization: 'Bearer http-key' } })
    const without = new TraceProto({ url: `${receiver.httpEndpoint}/v1/traces` })
    const refused = await exportOnce(without, makeSpans())
    assert.equal(refused.code, 1)
    assert.equal(refused.error.code, 401)
    assert.equal(decodeStatus(Buffer.from(refused.error.data ?? '', 'latin1')).code, 16)
    const headers = { Authorization: 'Bearer http-key' }
    const withKey = new TraceJson({ url: `${receiver.httpEndpoint}/v1/traces`, headers })
    assert.equal((await exportOnce(withKey, makeSpans())).code, 0)
    await Promise.all([without.shutdown(), withKey.shutdown()])
    assert.deepEqual(
      receiver.exports.map((e) => [e.contentType, e.httpStatus, e.code, e.headers.authorization]),
      [
        ['application/x-protobuf', 401, 16, undefined],
        ['application/json', 200, 0, 'Bearer http-key']
      ]
    )
    assert.equal(receiver.spans.length, 2)
  })

  test("a fault with Retry-After: upstream's exporter waits as long as told, then the retry is kept", async (t) => {
    const receiver = await startReceiver(t)
    receiver.failNext({ httpStatus: 503, retryAfterSeconds: 2, message: 'collector overloaded' })
    const exporter = new TraceProto({ url: `${receiver.httpEndpoint}/v1/traces` })
    const result = await exportOnce(exporter, makeSpans())
    await exporter.shutdown()
    assert.equal(result.code, 0)
    // Upstream's own first backoff is 1 s +-20 %: only Retry-After makes it wait 2 s.
    assert.ok(result.millis >= 1950, `retried after ${Math.round(result.millis)} ms`)
    assert.deepEqual(
      receiver.exports.map((e) => [e.httpStatus, e.code, e.spanCount]),
      [
        [503, 14, 2],
        [200, 0, 2]
      ]
    )
    assert.equal(receiver.spans.length, 2)
  })

  test('429, 502 and 504 answer with status, Retry-After and a google.rpc.Status; a 400 is not retried', async (t) => {
    const receiver = await startReceiver(t)
    receiver.failNext(
      { httpStatus: 429, retryAfterSeconds: 0 },
      { httpStatus: 502 },
      { httpStatus: 504, retryAfterSeconds: 7, message: 'gateway timeout' }
    )
    const body = jsonTraces({ traceId: TRACE_ID, spanId: SPAN_ID })
    const answers = []
    for (let i = 0; i < 4; i++) {
      const response = await post(receiver, '/v1/traces', body, JSON_TYPE)
      answers.push([response.status, response.headers.get('retry-after'), await response.json()])
    }
    assert.deepEqual(answers, [
      [429, '0', { code: 8, message: 'injected failure' }],
      [502, null, { code: 14, message: 'injected failure' }],
      [504, '7', { code: 14, message: 'gateway timeout' }],
      [200, null, {}]
    ])
    assert.deepEqual(
      receiver.exports.map((e) => [e.httpStatus, e.code]),
      [
        [429, 8],
        [502, 14],
        [504, 14],
        [200, 0]
      ]
    )

    receiver.failNext({ httpStatus: 400, message: 'bad spans' })
    const exporter = new TraceJson({ url: `${receiver.httpEndpoint}/v1/traces` })
    const refused = await exportOnce(exporter, makeSpans())
    await exporter.shutdown()
    assert.equal(refused.code, 1)
    assert.equal(refused.error.code, 400)
    assert.deepEqual(JSON.parse(refused.error.data), { code: 3, message: 'bad spans' })
    assert.deepEqual(
      receiver.exports.slice(4).map((e) => [e.httpStatus, e.code]),
      [[400, 3]],
      'a 400 is not retried'
    )
    assert.equal(receiver.spans.length, 1)
  })

  test('each fault targets a transport: { code } the next gRPC export, { httpStatus } the next HTTP one', async (t) => {
    const receiver = await startReceiver(t)
    const grpc = new TraceGrpc({ url: receiver.endpoint })
    const http = new TraceProto({ url: `${receiver.httpEndpoint}/v1/traces` })
    t.after(() => Promise.all([grpc.shutdown(), http.shutdown()]))
    receiver.failNext({ code: 3, message: 'grpc only' }, { httpStatus: 400, message: 'http only' })
    assert.equal((await exportOnce(grpc, makeSpans())).error?.message, '3 INVALID_ARGUMENT: grpc only')
    assert.equal((await exportOnce(grpc, makeSpans())).code, 0, 'the HTTP fault is left for HTTP')
    assert.equal((await exportOnce(http, makeSpans())).error?.code, 400)
    assert.equal((await exportOnce(http, makeSpans())).code, 0)

    receiver.failNext({ code: 3, httpStatus: 400, message: 'either' })
    assert.equal((await exportOnce(http, makeSpans())).error?.code, 400)
    assert.equal((await exportOnce(grpc, makeSpans())).code, 0, 'a fault with both is spent by the first export')

    receiver.failNext({ httpStatus: 400, signal: 'logs' })
    assert.equal((await exportOnce(http, makeSpans())).code, 0, 'a logs fault leaves traces alone')
    const logs = new LogsJson({ url: `${receiver.httpEndpoint}/v1/logs` })
    assert.equal((await exportOnce(logs, makeLogs())).error?.code, 400)
    await logs.shutdown()

    assert.deepEqual(
      receiver.exports.map((e) => [e.transport, e.signal, e.code, e.httpStatus]),
      [
        ['grpc', 'traces', 3, undefined],
        ['grpc', 'traces', 0, undefined],
        ['http', 'traces', 3, 400],
        ['http', 'traces', 0, 200],
        ['http', 'traces', 3, 400],
        ['grpc', 'traces', 0, undefined],
        ['http', 'traces', 0, 200],
        ['http', 'logs', 3, 400]
      ]
    )
    assert.throws(() => receiver.failNext({ message: 'no status' }), /a fault needs a gRPC `code` or an `httpStatus`/)
  })

  test('countOnly: HTTP exports are counted in either format, nothing is kept', async (t) => {
    const receiver = await startReceiver(t, { countOnly: true })
    const sends = [
      [TraceProto, '/v1/traces', makeSpans(3)],
      [TraceJson, '/v1/traces', makeSpans(2)],
      [LogsJson, '/v1/logs', makeLogs()],
      [MetricsJson, '/v1/metrics', await makeMetrics()]
    ]
    for (const [Exporter, path, items] of sends) {
      const exporter = new Exporter({ url: `${receiver.httpEndpoint}${path}` })
      assert.equal((await exportOnce(exporter, items)).code, 0)
      await exporter.shutdown()
    }
    assert.deepEqual([receiver.spanCount, receiver.logCount, receiver.metricCount], [5, 2, 2])
    assert.deepEqual([receiver.spans, receiver.logs, receiver.metrics, receiver.exports], [[], [], [], []])
    assert.equal((await post(receiver, '/v1/traces', '{"resourceSpans": 1}', JSON_TYPE)).status, 400)
  })

  test('stop refuses connections on both ports; restart listens on the same ports, ' +
    'exporters export again', async (t) => {
    const receiver = await startReceiver(t)
    const { port, httpPort } = receiver
    const http = new TraceProto({ url: `${receiver.httpEndpoint}/v1/traces`, timeoutMillis: 2000 })
    const grpc = new TraceGrpc({ url: receiver.endpoint })
    t.after(() => Promise.all([grpc.shutdown(), http.shutdown()]))
    assert.equal((await exportOnce(http, makeSpans())).code, 0)
    await receiver.stop()
    await assert.rejects(fetch(`${receiver.httpEndpoint}/v1/traces`, { method: 'POST' }), /fetch failed/)
    await receiver.restart()
    assert.deepEqual([receiver.port, receiver.httpPort], [port, httpPort])
    assert.equal((await exportOnce(http, makeSpans())).code, 0)
    assert.equal((await exportOnce(grpc, makeSpans())).code, 0)
    assert.equal(receiver.spans.length, 6)
  })

  test('the gRPC side still refuses an undecodable message with INVALID_ARGUMENT, recorded', async (t) => {
    const receiver = await startReceiver(t)
    const { Client, credentials } = await import('@grpc/grpc-js')
    const client = new Client(`127.0.0.1:${receiver.port}`, credentials.createInsecure())
    t.after(() => client.close())
    const garbage = new MessageWriter().bytes(1, Buffer.from([0x12, 0x09])).finish()
    const path = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'
    const error = await new Promise((resolve) =>
      client.makeUnaryRequest(
        path,
        (b) => b,
        (b) => b,
        garbage,
        (e) => resolve(e)
      )
    )
    assert.equal(error?.code, 3)
    assert.match(error.details, /undecodable request/)
    assert.deepEqual(
      receiver.exports.map((e) => [e.transport, e.signal, e.contentType, e.code]),
      [['grpc', 'metrics', 'application/grpc', 3]]
    )
  })
})
