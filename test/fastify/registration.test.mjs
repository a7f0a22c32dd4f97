// Global registration happens once per process; an SDK the application registered is reused and
// never replaced; OTEL_SDK_DISABLED gives a working app with no-op tracing.
import { SpanKind, trace } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRequire } from 'node:module'
import { logCapture, RecordingExporter, registerApplicationSdk, sampledParent } from '../helpers.mjs'

/** The request spans an exporter got: on a loaded machine a slow step of a request adds a lifecycle span beside it. */
const requestSpans = (exporter) => exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER)

test("a second Fastify instance reuses the first one's SDK and says so", async (t) => {
  const first = new InMemorySpanExporter()
  const second = new InMemorySpanExporter()
  const logs = logCapture()
  const a = Fastify()
  const b = Fastify({ logger: { level: 'info', stream: logs.stream } })
  await a.register(otelPlugin, { serviceName: 'a', exporter: first, handleSignals: false })
  await b.register(otelPlugin, { serviceName: 'b', exporter: second, handleSignals: false })
  t.after(async () => {
    await b.close()
    await a.close()
  })
  assert.equal(a.otel.provider, b.otel.provider)
  assert.equal(b.otel.config.serviceName.value, 'a')
  assert.ok(logs.messages().some((m) => m.includes('reusing the OpenTelemetry SDK set up by an earlier registration')))
  // Its own service name and exporter are not applied: a warning names them, not only the info line.
  const unapplied = logs.lines.filter((l) => l.code === 'FOK_WARN_CONFIG').map((l) => l.msg)
  assert.equal(unapplied.length, 1)
  assert.match(unapplied[0], /options serviceName, exporter are not applied: an earlier registration of the plugin/)
  b.get('/', async () => 'ok')
  await b.inject({ url: '/' })
  await b.otel.forceFlush()
  assert.equal(requestSpans(first).length, 1)
  assert.equal(second.getFinishedSpans().length, 0)

  // Closing one instance flushes but keeps the shared SDK working for the other.
  await b.close()
  a.get('/', async () => 'ok')
  await a.inject({ url: '/' })
  await a.otel.forceFlush()
  assert.equal(requestSpans(first).length, 2)
})

test('a second instance with the same options as the first (in any key order), or none of the SDK\'s, is not ' +
  'warned about; one with another sampler, endpoint, API key, span processor or metrics setting is, by the ' +
  'option written, never a value', async (t) => {
  const exporter = new InMemorySpanExporter()
  const a = Fastify()
  const options = {
    serviceName: 'same',
    handleSignals: false,
    resourceAttributes: { team: 'payments', tier: 'gold' },
    exporter: { endpoint: 'http://127.0.0.1:4318', headers: { 'x-api-key': 'first', 'x-tenant': 'acme' } }
  }
  await a.register(otelPlugin, options)
  t.after(() => a.close())
  const warningsOf = async (own) => {
    const logs = logCapture()
    const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
    await app.register(otelPlugin, own)
    await app.close()
    return logs.lines.filter((l) => l.code === 'FOK_WARN_CONFIG').map((l) => l.msg)
  }
  const reordered = {
    exporter: { headers: { 'x-tenant': 'acme', 'x-api-key': 'first' }, endpoint: 'http://127.0.0.1:4318' },
    resourceAttributes: { tier: 'gold', team: 'payments' },
    handleSignals: false,
    serviceName: 'same'
  }
  assert.deepEqual(await warningsOf(reordered), [])
  // Each registration's own (its log lines exported or not, its hooks' spans): nothing said.
  assert.deepEqual(await warningsOf({ handleSignals: false, lifecycleSpans: 'all', logs: false }), [])
  const [different] = await warningsOf({
    ...options,
    sampler: 'always_off',
    exporter: { endpoint: 'https://collector.example:4318', headers: { 'x-api-key': 'second-secret' } },
    spanProcessors: [new SimpleSpanProcessor({ exporter })]
  })
  assert.match(different, /^fastify-otel-kit: options exporter, sampler, spanProcessors are not applied/)
  assert.doesNotMatch(different, /second-secret|first|acme/)
  // Only the API key differs: the exporter is named, the key never shown.
  const [keyOnly] = await warningsOf({
    ...options,
    exporter: { ...options.exporter, headers: { 'x-api-key': 'other-key', 'x-tenant': 'acme' } }
  })
  assert.match(keyOnly, /^fastify-otel-kit: option exporter is not applied/)
  assert.doesNotMatch(keyOnly, /other-key/)
  // Metrics are the SDK's: off here while the shared SDK has them is not applied.
  const [metricsOff] = await warningsOf({ handleSignals: false, metrics: false })
  assert.match(metricsOff, /^fastify-otel-kit: option metrics is not applied/)
})

test('closing the last instance shuts the SDK down and releases the globals for a new one', async () => {
  const exporter = new RecordingExporter()
  const app = Fastify()
  await app.register(otelPlugin, { serviceName: 'once', exporter, handleSignals: false })
  assert.equal(trace.getTracerProvider().getDelegate(), app.otel.provider)
  await app.close()
  assert.equal(trace.getTracerProvider().getDelegate().constructor.name, 'NoopTracerProvider')
  assert.equal(exporter.shutdowns, 1)
})

test('an SDK the application registered itself is used, never replaced, and not shut down', async (t) => {
  const exporter = new RecordingExporter()
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  registerApplicationSdk(t, provider)
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  await app.register(otelPlugin, { serviceName: 'ignored', exporter: new InMemorySpanExporter(), handleSignals: false })
  assert.equal(app.otel.owner, 'application')
  assert.equal(app.otel.provider, provider)
  assert.ok(
    logs.messages().some((m) => m.includes('an OpenTelemetry SDK is already registered by the application; using it'))
  )
  app.get('/', async () => 'ok')
  await app.inject({ url: '/', headers: { traceparent: sampledParent } })
  assert.equal(exporter.spans[0].name, 'GET /')
  await app.close()
  assert.equal(trace.getTracerProvider().getDelegate(), provider)
  assert.equal(exporter.shutdowns, 0)
})

test('an SDK the application registered without a LoggerProvider: the plugin says the Fastify lines are ' +
  'dropped until one is registered, and a provider registered later receives them', async (t) => {
  const { LoggerProvider, SimpleLogRecordProcessor, InMemoryLogRecordExporter } =
    await import('@opentelemetry/sdk-logs')
  const { logs: logsApi } = createRequire(import.meta.url)('@opentelemetry/api')
  registerApplicationSdk(t, new TracerProvider())
  const said = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: said.stream } })
  t.after(() => app.close())
  await app.register(otelPlugin, { handleSignals: false, logs: true, lifecycleSpans: 'off' })
  const where = said.messages().find((m) => m.includes('log records from the Fastify logger'))
  assert.match(where, /no LoggerProvider is registered with the Logs API yet: they are dropped until/)
  const exporter = new InMemoryLogRecordExporter()
  logsApi.setGlobalLoggerProvider(new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] }))
  t.after(() => logsApi.disable())
  app.log.info('after the provider')
  assert.deepEqual(
    exporter.getFinishedLogRecords().map((r) => r.body),
    ['after the provider']
  )
})

test("an SDK the application registered: the plugin's SDK options it leaves without effect are a warning, by " +
  'name; what the environment sets is not (that SDK reads it too)', async (t) => {
  const processor = new SimpleSpanProcessor({ exporter: new RecordingExporter() })
  registerApplicationSdk(t, new TracerProvider({ spanProcessors: [processor] }))
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'warn', stream: logs.stream } })
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'ignored',
    sampler: 'always_off',
    exporter: { endpoint: 'http://collector:4318' },
    batch: 'aggressive',
    handleSignals: false,
    metrics: { exporter: 'prometheus', prometheus: { port: 9466 } }
  })
  assert.equal(app.otel.owner, 'application')
  const warned = logs.lines.filter((l) => l.level === 40).map((l) => l.msg)
  assert.ok(
    warned.some((m) =>
      m.includes('options serviceName, sampler, exporter, batch, metrics.exporters, metrics.prometheus are not ' +
        'applied: the application registered its own')
    ),
    JSON.stringify(warned)
  )
  await app.close()
  const quiet = logCapture()
  const envOnly = Fastify({ logger: { level: 'warn', stream: quiet.stream } })
  t.after(() => envOnly.close())
  process.env.OTEL_SERVICE_NAME = 'from-env'
  t.after(() => delete process.env.OTEL_SERVICE_NAME)
  await envOnly.register(otelPlugin, { handleSignals: false, metrics: false })
  assert.equal(envOnly.otel.owner, 'application')
  assert.deepEqual(quiet.lines.filter((l) => l.level === 40 && l.msg.includes('not applied')), [])
})

test('OTEL_SDK_DISABLED=true: routes work, request.otel is a harmless no-op, nothing is registered', async (t) => {
  process.env.OTEL_SDK_DISABLED = 'true'
  t.after(() => {
    delete process.env.OTEL_SDK_DISABLED
  })
  const exporter = new InMemorySpanExporter()
  const app = Fastify()
  await app.register(otelPlugin, { serviceName: 'off', exporter })
  t.after(() => app.close())
  assert.equal(app.otel.owner, 'disabled')
  assert.deepEqual(app.otel.config.disabled, { value: true, source: 'env', env: 'OTEL_SDK_DISABLED' })
  app.get('/', async (request) => ({
    traced: request.otel.traced,
    headers: request.otel.inject({}),
    traceId: request.otel.traceId
  }))
  const res = await app.inject({ url: '/', headers: { traceparent: sampledParent } })
  assert.deepEqual(res.json(), { traced: false, headers: {}, traceId: '00000000000000000000000000000000' })
  await app.otel.forceFlush()
  assert.deepEqual(exporter.getFinishedSpans(), [])
  assert.equal(trace.getTracerProvider().getDelegate().constructor.name, 'NoopTracerProvider')
  assert.deepEqual(app.otel.stats(), {
    created: 0,
    queued: 0,
    exported: 0,
    dropped: 0,
    failed: 0,
    retries: 0,
    lostInWorkers: 0
  })
})
