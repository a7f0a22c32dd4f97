// Log export (README, "Logs"): every line of the Fastify logger becomes a log record in the context
// it was written in, with pino's severity, message and fields (redaction honoured), the spans'
// resource, and nothing changed in what the logger writes. In-process, with in-memory exporters.
import { trace } from '@opentelemetry/api'
import { logs as logsApi, SeverityNumber } from '@opentelemetry/api'
import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin, { withSpan } from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import pino from 'pino'
import { INBOUND_TRACE_ID, sampledParent } from '../helpers.mjs'

/** A Fastify app with log export into memory; `lines` is what the logger wrote, as written. */
async function loggedApp (t, { fastify = {}, options = {}, before } = {}) {
  const spanExporter = new InMemorySpanExporter()
  const logExporter = new InMemoryLogRecordExporter()
  const written = []
  const app = Fastify({
    logger: {
      level: 'info',
      stream: {
        write: (line) => {
          written.push(line)
        }
      }
    },
    ...fastify
  })
  t.after(() => app.close())
  if (before !== undefined) await before(app)
  await app.register(otelPlugin, {
    serviceName: 'logs-test',
    exporter: spanExporter,
    handleSignals: false,
    logs: { exporter: logExporter },
    ...options
  })
  const flushed = async () => {
    await app.otel.forceFlush()
  }
  return {
    app,
    written,
    records: async () => {
      await flushed()
      return logExporter.getFinishedLogRecords()
    },
    spans: async () => {
      await flushed()
      return spanExporter.getFinishedSpans()
    },
    record: async (body) => {
      await flushed()
      const found = logExporter.getFinishedLogRecords().find((r) => r.body === body)
      assert.ok(
        found !== undefined,
        `no record "${body}"; have ${logExporter
          .getFinishedLogRecords()
          .map((r) => JSON.stringify(r.body))
          .join(', ')}`
      )
      return found
    }
  }
}

test("every line of app.log, request.log and reply.log is a record with pino's severity, message and fields, " +
  'in the trace it was written in', async (t) => {
  const { app, record, spans } = await loggedApp(t)
  app.addHook('onRequest', async (request) => {
    await nextTurn()
    request.log.info({ step: 'hook' }, 'in a hook after await')
  })
  app.post('/orders/:id', async (request, reply) => {
    request.log.info(
      { orderId: request.params.id, amount: 49.99, tags: ['a', 'b'], nested: { ok: true } },
      'refund requested'
    )
    await nextTurn()
    reply.log.warn('after await, on reply.log')
    await withSpan('refund.process', {}, async () => {
      request.log.error(new Error('gateway down'))
    })
    return 'ok'
  })
  app.log.info({ boot: 1 }, 'outside any request')
  const res = await app.inject({ method: 'POST', url: '/orders/ord-7', headers: { traceparent: sampledParent } })
  assert.equal(res.statusCode, 200)

  const all = await spans()
  const server = all.find((s) => s.name === 'POST /orders/:id')
  const child = all.find((s) => s.name === 'refund.process')

  const requested = await record('refund requested')
  assert.equal(requested.severityNumber, SeverityNumber.INFO)
  assert.equal(requested.severityText, 'info')
  assert.equal(requested.spanContext.traceId, INBOUND_TRACE_ID)
  assert.equal(requested.spanContext.spanId, server.spanContext().spanId)
  assert.equal(requested.spanContext.traceFlags, 1)
  assert.equal(requested.attributes.reqId, 'req-1')
  assert.equal(requested.attributes.orderId, 'ord-7')
  assert.equal(requested.attributes.amount, 49.99)
  assert.deepEqual(requested.attributes.tags, ['a', 'b'])
  assert.deepEqual(requested.attributes.nested, { ok: true })
  // The correlation fields are the record's own trace context, not attributes; level, time and msg
  // have their own fields.
  for (const key of ['trace_id', 'span_id', 'trace_flags', 'level', 'time', 'msg']) {
    assert.ok(!(key in requested.attributes), key)
  }
  assert.ok(Math.abs(requested.hrTime[0] * 1000 - Date.now()) < 60_000)

  const hook = await record('in a hook after await')
  assert.equal(hook.spanContext.spanId, server.spanContext().spanId)
  assert.equal(hook.attributes.step, 'hook')

  const onReply = await record('after await, on reply.log')
  assert.equal(onReply.severityNumber, SeverityNumber.WARN)
  assert.equal(onReply.spanContext.spanId, server.spanContext().spanId)

  // Written inside a child span: that span's ids.
  const failed = await record('gateway down')
  assert.equal(failed.severityNumber, SeverityNumber.ERROR)
  assert.equal(failed.spanContext.spanId, child.spanContext().spanId)
  assert.equal(failed.attributes['exception.type'], 'Error')
  assert.equal(failed.attributes['exception.message'], 'gateway down')
  assert.match(failed.attributes['exception.stacktrace'], /^Error: gateway down\n {4}at /)

  // Fastify's own lines: "request completed" runs in the request context, with the serialised res.
  const completed = await record('request completed')
  assert.equal(completed.spanContext.spanId, server.spanContext().spanId)
  assert.deepEqual(completed.attributes.res, { statusCode: 200 })
  assert.equal(typeof completed.attributes.responseTime, 'number')
  // "incoming request" is written before any hook: no trace, but its serialised req.
  const incoming = await record('incoming request')
  assert.equal(incoming.spanContext, undefined)
  assert.equal(incoming.attributes.req.method, 'POST')
  assert.equal(incoming.attributes.req.url, '/orders/ord-7')

  const boot = await record('outside any request')
  assert.equal(boot.spanContext, undefined)
  assert.equal(boot.attributes.boot, 1)
  // The spans' resource, the same object.
  assert.equal(boot.resource, server.resource)
  assert.equal(boot.instrumentationScope.name, 'fastify-otel-kit')
})

test("a record holds the call's fields as written, even when the caller changes its object afterwards; " +
  "the line's time is the record's", async (t) => {
  const { app, written, record } = await loggedApp(t)
  app.get('/refund', async (request) => {
    const details = { orderId: 'ord-1', amount: 10, approved: false }
    request.log.info(details, 'refund checked')
    details.orderId = 'changed'
    details.amount = 99
    details.approved = true
    details.extra = 'added later'
    return 'ok'
  })
  assert.equal((await app.inject('/refund')).statusCode, 200)
  const checked = await record('refund checked')
  assert.equal(checked.attributes.orderId, 'ord-1')
  assert.equal(checked.attributes.amount, 10)
  assert.equal(checked.attributes.approved, false)
  assert.ok(!('extra' in checked.attributes))
  assert.equal(checked.attributes.reqId, 'req-1')
  const line = JSON.parse(written.find((l) => l.includes('refund checked')))
  assert.deepEqual(checked.hrTime, [Math.floor(line.time / 1000), (line.time % 1000) * 1e6])
})

test('stdout is unchanged byte for byte with log export on, through a multistream destination too', async (t) => {
  /** One run of the same app and requests; what each destination received. */
  async function run (logsOn) {
    const info = []
    const errors = []
    const multistream = pino.multistream([
      {
        level: 'info',
        stream: {
          write: (line) => {
            info.push(line)
          }
        }
      },
      {
        level: 'error',
        stream: {
          write: (line) => {
            errors.push(line)
          }
        }
      }
    ])
    const exporter = new InMemoryLogRecordExporter()
    const app = Fastify({
      logger: {
        level: 'info',
        // Fixed times: no timestamp, and Fastify's responseTime left out.
        timestamp: false,
        formatters: { log: ({ responseTime, ...rest }) => rest },
        base: { service: 'same' },
        stream: multistream
      }
    })
    t.after(() => app.close())
    await app.register(otelPlugin, {
      serviceName: 'stdout',
      exporter: new InMemorySpanExporter(),
      handleSignals: false,
      // Without correlation the lines carry no ids, which differ from run to run.
      logCorrelation: false,
      ...(logsOn ? { logs: { exporter } } : {})
    })
    const early = app.log.child({ made: 'before the requests' })
    app.get('/', async (request) => {
      request.log.info(
        { unicode: 'ünïcödé ✓ "quoted" \\ back', big: 'x'.repeat(5000), list: [1, 'two', null] },
        'line %s with %d args',
        'format',
        2
      )
      request.log.debug('below the level: written by nobody')
      request.log.error(Object.assign(new Error('failure'), { code: 'E_TEST' }), 'an error')
      early.warn('from a child made before')
      return 'ok'
    })
    for (let i = 0; i < 3; i++) await app.inject({ url: '/' })
    await app.otel.forceFlush()
    const exported = exporter.getFinishedLogRecords().length
    await app.close()
    return { info: info.join(''), errors: errors.join(''), exported }
  }
  const off = await run(false)
  const on = await run(true)
  assert.equal(off.exported, 0)
  // 3 requests x (incoming, info, error, child warn, completed); the debug line is never written.
  assert.equal(on.exported, 15)
  assert.ok(off.info.length > 5000 && off.errors.includes('"an error"'))
  assert.equal(on.info, off.info)
  assert.equal(on.errors, off.errors)
  assert.ok(!off.info.includes('below the level'))
})

test("pino's flush reaches the destination through the bridge", async (t) => {
  let flushed = 0
  const destination = {
    write () {},
    flush (callback) {
      flushed++
      callback()
    }
  }
  const app = Fastify({ logger: { stream: destination } })
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'flush',
    exporter: new InMemorySpanExporter(),
    handleSignals: false,
    logs: { exporter: new InMemoryLogRecordExporter() }
  })
  await new Promise((resolve) => app.log.flush(resolve))
  assert.equal(flushed, 1)
})

test('redaction is honoured and secrets never reach a record; lines below the level are never exported', async (t) => {
  const { app, records } = await loggedApp(t, {
    fastify: {
      logger: {
        level: 'info',
        stream: { write () {} },
        redact: ['password', 'card.number', 'req.headers.authorization'],
        serializers: { req: (req) => ({ method: req.method, url: req.url, headers: req.headers }) }
      }
    },
    // Spans go nowhere (a closed port), with a credential that must never reach a record.
    options: {
      exporter: {
        endpoint: 'http://127.0.0.1:9',
        headers: { authorization: 'Bearer exporter-secret-456' },
        retry: false
      },
      shutdownTimeoutMillis: 500
    }
  })
  app.get('/', async (request) => {
    request.log.info({ password: 'hunter2', card: { number: '4111111111111111', holder: 'A. Person' } }, 'payment')
    request.log.debug({ password: 'debug-secret-789' }, 'verbose')
    return 'ok'
  })
  await app.inject({ url: '/', headers: { authorization: 'Bearer request-secret-123' } })
  const all = await records()
  const text = JSON.stringify(all.map((r) => ({ body: r.body, attributes: r.attributes })))
  for (const secret of [
    'hunter2',
    '4111111111111111',
    'request-secret-123',
    'exporter-secret-456',
    'debug-secret-789'
  ]) {
    assert.ok(!text.includes(secret), `${secret} was exported`)
  }
  const payment = all.find((r) => r.body === 'payment')
  assert.equal(payment.attributes.password, '[Redacted]')
  assert.deepEqual(payment.attributes.card, { number: '[Redacted]', holder: 'A. Person' })
  assert.equal(all.find((r) => r.body === 'incoming request').attributes.req.headers.authorization, '[Redacted]')
  assert.ok(!all.some((r) => r.body === 'verbose'))
})

test("sensitive query values in Fastify's request lines (req.url) are redacted in the records as on the span, " +
  'redactQueryParams included; what the logger writes keeps them', async (t) => {
  const { app, records, spans, written } = await loggedApp(t, { options: { redactQueryParams: ['Session'] } })
  app.get('/refunds/:id', async () => 'ok')
  app.get('/twice', async (request, reply) => {
    reply.send('first')
    reply.send('second')
    return reply
  })
  await app.inject({ url: '/refunds/ord-1?access_token=tok-SECRET&session=ses-SECRET&page=2' })
  const incoming = (await records()).find((r) => r.body === 'incoming request')
  assert.equal(incoming.attributes.req.url, '/refunds/ord-1?access_token=REDACTED&session=REDACTED&page=2')
  assert.equal(incoming.attributes.req.method, 'GET')
  const span = (await spans()).find((s) => s.name === 'GET /refunds/:id')
  assert.equal(span.attributes['url.query'], 'access_token=REDACTED&session=REDACTED&page=2')
  // The stdout line is the application's: written as pino made it.
  assert.ok(written.some((line) => line.includes('access_token=tok-SECRET')))

  // Fastify's own texts with the URL: the not-found line, and a reply sent twice (message, error, stack).
  await app.inject({ url: '/nowhere?token=nf-SECRET&page=3' })
  await app.inject({ url: '/twice?api_key=twice-SECRET' })
  const all = await records()
  const exported = JSON.stringify(all.map((r) => ({ body: r.body, attributes: r.attributes })))
  for (const secret of ['tok-SECRET', 'ses-SECRET', 'nf-SECRET', 'twice-SECRET']) {
    assert.ok(!exported.includes(secret), `${secret} was exported`)
  }
  assert.ok(all.some((r) => r.body === 'Route GET:/nowhere?token=REDACTED&page=3 not found'))
  const twice = all.find((r) => r.attributes['exception.message']?.startsWith('Reply was already sent'))
  assert.ok(twice !== undefined, exported)
  assert.match(twice.attributes['exception.message'], /in "\/twice\?api_key=REDACTED" \(GET\)/)
  assert.match(twice.attributes['exception.stacktrace'], /in "\/twice\?api_key=REDACTED" \(GET\)/)
})

test("the Logs API: a library's logger lands in the same pipeline, with the trace it logs in; " +
  'the global is released on close', async (t) => {
  const { app, records, spans } = await loggedApp(t)
  app.get('/', async () => {
    logsApi
      .getLogger('some-library', '1.0.0')
      .emit({ body: 'from the Logs API', severityNumber: SeverityNumber.WARN, attributes: { k: 'v' } })
    return 'ok'
  })
  await app.inject({ url: '/' })
  const record = (await records()).find((r) => r.body === 'from the Logs API')
  const server = (await spans()).find((s) => s.name === 'GET /')
  assert.equal(record.spanContext.spanId, server.spanContext().spanId)
  assert.equal(record.instrumentationScope.name, 'some-library')
  assert.equal(record.resource.attributes['service.name'], 'logs-test')
  await app.close()
  // No provider left behind: the API is back to its no-op.
  assert.equal(logsApi.getLoggerProvider().constructor.name, 'ProxyLoggerProvider')
})

test('custom levels map onto the severities between the standard ones', async (t) => {
  const { app, record } = await loggedApp(t, {
    fastify: { logger: { level: 'info', stream: { write () {} }, customLevels: { audit: 35, alert: 65 } } }
  })
  app.log.audit('an audit line')
  app.log.alert('an alert line')
  const audit = await record('an audit line')
  assert.equal(audit.severityNumber, SeverityNumber.INFO3)
  assert.equal(audit.severityText, 'audit')
  assert.equal((await record('an alert line')).severityNumber, SeverityNumber.FATAL3)
})

test("an application's pino (loggerInstance): Fastify's lines are exported, the application's own root logger " +
  'is left alone', async (t) => {
  const written = []
  const root = pino(
    { level: 'info' },
    {
      write: (line) => {
        written.push(line)
      }
    }
  )
  const { app, records } = await loggedApp(t, { fastify: { logger: undefined, loggerInstance: root } })
  app.get('/', async (request) => {
    request.log.info('through Fastify')
    return 'ok'
  })
  await app.inject({ url: '/' })
  root.info('straight on the root logger')
  const bodies = (await records()).map((r) => r.body)
  assert.ok(bodies.includes('through Fastify'))
  assert.ok(!bodies.includes('straight on the root logger'))
  assert.ok(
    written.some((l) => l.includes('straight on the root logger')) && written.some((l) => l.includes('through Fastify'))
  )
  await app.close()
  // After close the stream is the application's again.
  root.info('after close')
  assert.ok(written.at(-1).includes('after close'))
})

test("with Fastify's logger off, a warning says its lines cannot be exported; the Logs API still works", async (t) => {
  const seen = []
  const listener = (warning) => {
    if (warning.name === 'FastifyOtelKitWarning') seen.push(warning.message)
  }
  process.on('warning', listener)
  t.after(() => process.removeListener('warning', listener))
  const exporter = new InMemoryLogRecordExporter()
  const app = Fastify()
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'quiet',
    exporter: new InMemorySpanExporter(),
    handleSignals: false,
    logs: { exporter }
  })
  await nextTurn()
  assert.ok(
    seen.some((m) => m.includes("this Fastify instance's logger is not pino")),
    seen.join('\n')
  )
  logsApi.getLogger('lib').emit({ body: 'still exported' })
  await app.otel.forceFlush()
  assert.deepEqual(
    exporter.getFinishedLogRecords().map((r) => r.body),
    ['still exported']
  )
})

test('stats().logs counts records, and a full log queue drops, counts and warns (FOK_WARN_LOGS_DROPPED)', async (t) => {
  const held = []
  const exporter = {
    export (records, done) {
      held.push(() => done({ code: 0 }))
    },
    shutdown: async () => {},
    forceFlush: async () => {}
  }
  const warned = []
  const app = Fastify({
    logger: {
      level: 'info',
      stream: {
        write: (line) => {
          const l = JSON.parse(line)
          if (l.code !== undefined) warned.push(l)
        }
      }
    }
  })
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'drops',
    exporter: new InMemorySpanExporter(),
    handleSignals: false,
    logs: { exporter, batch: { maxQueueSize: 4, maxExportBatchSize: 2, scheduledDelayMillis: 60_000 } }
  })
  assert.equal(app.otel.stats().logs.created, 0)
  for (let i = 0; i < 10; i++) app.log.info(`line ${i}`)
  // 2 in flight (held by the exporter), 4 queued, 4 dropped.
  assert.deepEqual(app.otel.stats().logs, { created: 10, queued: 6, exported: 0, dropped: 4, failed: 0, retries: 0 })
  const drop = warned.find((l) => l.code === 'FOK_WARN_LOGS_DROPPED')
  assert.match(
    drop.msg,
    /dropped 1 log record\(s\) because the log export queue is full \(logs\.batch\.maxQueueSize 4\)/
  )
  // The warning itself is never exported (it would queue behind the records it is about).
  assert.equal(app.otel.stats().logs.created, 10)
  const flushing = app.otel.forceFlush()
  while (held.length > 0 || app.otel.stats().logs.queued > 0) {
    held.splice(0).forEach((release) => release())
    await nextTurn()
  }
  await flushing
  assert.deepEqual(app.otel.stats().logs, { created: 10, queued: 0, exported: 6, dropped: 4, failed: 0, retries: 0 })
  // The span counters are where they were.
  assert.equal(typeof app.otel.stats().created, 'number')
})

test('failed log exports are counted and warned about, and the warning is never fed back ' +
  'into log export', async (t) => {
  let exportedRecords = 0
  const failing = {
    export (records, done) {
      exportedRecords += records.length
      done({ code: 1, error: new Error('collector said no') })
    },
    shutdown: async () => {},
    forceFlush: async () => {}
  }
  const lines = []
  const app = Fastify({
    logger: {
      level: 'info',
      stream: {
        write: (line) => {
          lines.push(JSON.parse(line))
        }
      }
    }
  })
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'failing',
    exporter: new InMemorySpanExporter(),
    handleSignals: false,
    logs: { exporter: failing }
  })
  app.log.info('one')
  await app.otel.forceFlush()
  const warning = lines.find((l) => l.code === 'FOK_WARN_EXPORT_FAILED')
  assert.equal(
    warning.msg,
    'fastify-otel-kit: could not export 1 log record(s) to the exporter: collector said no. ' +
      'The service is not affected; these log records are lost.'
  )
  app.log.info('two')
  await app.otel.forceFlush()
  // Only the two lines were ever offered to the exporter: not the warning about the first.
  assert.equal(exportedRecords, 2)
  assert.deepEqual(app.otel.stats().logs, { created: 2, queued: 0, exported: 0, dropped: 0, failed: 2, retries: 0 })
})

test('log export off (the default): no bridge, no LoggerProvider, no logs counters', async (t) => {
  const written = []
  const app = Fastify({
    logger: {
      stream: {
        write: (line) => {
          written.push(line)
        }
      }
    }
  })
  t.after(() => app.close())
  await app.register(otelPlugin, { serviceName: 'off', exporter: new InMemorySpanExporter(), handleSignals: false })
  app.log.info('plain')
  assert.equal(app.otel.config.logs.enabled.value, false)
  assert.equal(app.otel.config.logs.enabled.source, 'default')
  assert.equal(app.otel.stats().logs, undefined)
  assert.equal(logsApi.getLoggerProvider().constructor.name, 'ProxyLoggerProvider')
  assert.equal(trace.getTracerProvider().constructor.name, 'ProxyTracerProvider')
  assert.equal(written.length, 1)
})

test(
  'a log exporter that never answers cannot hang close: spans and records share the one bound, ' +
    'and what is abandoned is counted and named',
  { timeout: 20_000 },
  async () => {
    const hanging = { export () {}, shutdown: () => new Promise(() => {}), forceFlush: async () => {} }
    const lines = []
    const app = Fastify({
      logger: {
        level: 'info',
        stream: {
          write: (line) => {
            lines.push(JSON.parse(line))
          }
        }
      }
    })
    await app.register(otelPlugin, {
      serviceName: 'hang',
      exporter: new InMemorySpanExporter(),
      handleSignals: false,
      shutdownTimeoutMillis: 300,
      logs: { exporter: hanging }
    })
    app.get('/', async (request) => {
      request.log.info('in the request')
      return 'ok'
    })
    await app.inject({ url: '/' })
    const stats = app.otel.stats
    // Returns although the log exporter never answers: the test's own timeout would catch a hang.
    await app.close()
    const warning = lines.find((l) => l.code === 'FOK_WARN_SHUTDOWN_ABANDONED')
    assert.equal(
      warning?.msg,
      'fastify-otel-kit: shutdown did not finish within shutdownTimeoutMillis (300 ms): ' +
        '0 span(s) and 3 log record(s) could not be exported and are counted as failed ' +
        '(an export was still waiting for its answer).'
    )
    assert.deepEqual(stats().logs, { created: 3, queued: 0, exported: 0, dropped: 0, failed: 3, retries: 0 })
    assert.equal(stats().exported, 1)
  }
)

test('memory: a full log queue of long lines holds what the limits keep, not the lines', async () => {
  const { execFileSync } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const script = fileURLToPath(new URL('../fixtures/log-queue-memory.mjs', import.meta.url))
  const { retainedBytes, queued } = JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', script, '1000'], { encoding: 'utf8' })
  )
  // 1000 lines with a 60 KB attribute, plus Fastify's two request lines each.
  assert.equal(queued, 3000)
  // README, "Logs": about 2 KB per queued record, plus each long value at most 4096 characters at
  // up to 2 bytes each. (Queued as written, the 60 KB lines alone would hold 60 MB.)
  const estimate = 3000 * 2000 + 1000 * 4096 * 2
  assert.ok(retainedBytes <= estimate, `retained ${retainedBytes} bytes, estimate ${estimate}`)
})
