// Log export settings (README, "Logs"): option `logs` and OTEL_LOGS_EXPORTER decide, the variable
// winning and saying so; OTEL_EXPORTER_OTLP_LOGS_* before OTEL_EXPORTER_OTLP_* before the
// `exporter` option; OTEL_BLRP_* and the record limits; coded errors for bad options.
import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { logCapture, withEnv } from '../helpers.mjs'

/** The plugin on an app whose log lines (warnings included) are kept in `logs.lines`. */
async function register (t, options) {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'logs-config',
    // Lifecycle spans off: a cold first request may cross the slow threshold, and this counts spans.
    lifecycleSpans: 'off',
    exporter: new InMemorySpanExporter(),
    handleSignals: false,
    ...options
  })
  const warnings = () =>
    logs.lines.filter((l) => l.code === 'FOK_WARN_CONFIG').map((l) => l.msg.replace('fastify-otel-kit: ', ''))
  return { app, logs, warnings }
}

test('OTEL_LOGS_EXPORTER=otlp turns log export on without the option; ' +
  'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT wins over the general endpoint and the option, for logs only', async (t) => {
  const logsReceiver = await OtlpReceiver.start()
  const spansReceiver = await OtlpReceiver.start()
  t.after(async () => {
    await logsReceiver.stop()
    await spansReceiver.stop()
  })
  withEnv(t, {
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: logsReceiver.endpoint,
    OTEL_EXPORTER_OTLP_ENDPOINT: spansReceiver.endpoint
  })
  const { app } = await register(t, { exporter: { endpoint: 'http://127.0.0.1:9' } })
  const { logs } = app.otel.config
  assert.deepEqual(logs.enabled, { value: true, source: 'env', env: 'OTEL_LOGS_EXPORTER' })
  assert.deepEqual(logs.exporter.kind, { value: 'otlp', source: 'env', env: 'OTEL_LOGS_EXPORTER' })
  assert.deepEqual(logs.exporter.endpoint, {
    value: logsReceiver.endpoint,
    source: 'env',
    env: 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'
  })
  assert.deepEqual(app.otel.config.exporter.endpoint, {
    value: spansReceiver.endpoint,
    source: 'env',
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT'
  })
  app.get('/', async (request) => {
    request.log.info('to the logs endpoint')
    return 'ok'
  })
  await app.inject({ url: '/' })
  await app.otel.forceFlush()
  await logsReceiver.waitForLogs((all) => all.some((r) => r.body === 'to the logs endpoint'))
  await spansReceiver.waitFor((all) => all.length === 1)
  assert.equal(spansReceiver.logs.length, 0)
  assert.equal(logsReceiver.spans.length, 0)
})

test('OTEL_LOGS_EXPORTER=none turns off what the option turned on, and says so', async (t) => {
  withEnv(t, { OTEL_LOGS_EXPORTER: 'none' })
  const { app, warnings } = await register(t, { logs: true })
  assert.deepEqual(app.otel.config.logs.enabled, { value: false, source: 'env', env: 'OTEL_LOGS_EXPORTER' })
  assert.deepEqual(app.otel.config.logs.exporter.kind, { value: 'none', source: 'env', env: 'OTEL_LOGS_EXPORTER' })
  assert.ok(
    warnings().includes(
      'OTEL_LOGS_EXPORTER overrides option logs: using off from the environment instead of on from the plugin options.'
    ),
    warnings().join('\n')
  )
  assert.equal(app.otel.stats().logs, undefined)
})

test('an unknown OTEL_LOGS_EXPORTER value is warned about and leaves the option in charge; ' +
  'console is the console exporter', async (t) => {
  withEnv(t, { OTEL_LOGS_EXPORTER: 'otlp/stdout' })
  const { app, warnings } = await register(t, {})
  assert.deepEqual(app.otel.config.logs.enabled, { value: false, source: 'default' })
  assert.ok(
    warnings().includes(
      'OTEL_LOGS_EXPORTER="otlp/stdout" is invalid (expected otlp, console or none); ignoring it: ' +
        'log export stays off, the default.'
    ),
    warnings().join('\n')
  )
  await app.close()
  process.env.OTEL_LOGS_EXPORTER = 'console'
  const second = await register(t, {})
  assert.deepEqual(second.app.otel.config.logs.exporter.kind, {
    value: 'console',
    source: 'env',
    env: 'OTEL_LOGS_EXPORTER'
  })
})

test('OTEL_LOGS_EXPORTER=otlp overrides a logs.exporter instance, and says so', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  withEnv(
    t,
    { OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }
  )
  const { app, warnings } = await register(t, { logs: { exporter: new InMemoryLogRecordExporter() } })
  assert.deepEqual(app.otel.config.logs.exporter.kind, { value: 'otlp', source: 'env', env: 'OTEL_LOGS_EXPORTER' })
  assert.ok(
    warnings().includes(
      'OTEL_LOGS_EXPORTER overrides option logs.exporter: using otlp from the environment instead of custom ' +
        'from the plugin options.'
    ),
    warnings().join('\n')
  )
})

test('OTEL_BLRP_* set the log queue (a batch above the queue is clamped, with a warning); ' +
  'logs.batch values otherwise; the span queue is untouched', async (t) => {
  withEnv(t, {
    OTEL_BLRP_MAX_QUEUE_SIZE: '100',
    OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '200',
    OTEL_BLRP_EXPORT_TIMEOUT: '7000'
  })
  const { app, warnings } = await register(t, {
    logs: { exporter: new InMemoryLogRecordExporter(), batch: { scheduledDelayMillis: 250, maxQueueSize: 50 } }
  })
  const { batch } = app.otel.config.logs
  assert.deepEqual(batch.maxQueueSize, { value: 100, source: 'env', env: 'OTEL_BLRP_MAX_QUEUE_SIZE' })
  assert.deepEqual(batch.maxExportBatchSize, { value: 100, source: 'env', env: 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE' })
  assert.deepEqual(batch.scheduledDelayMillis, { value: 250, source: 'options' })
  assert.deepEqual(batch.exportTimeoutMillis, { value: 7000, source: 'env', env: 'OTEL_BLRP_EXPORT_TIMEOUT' })
  assert.deepEqual(app.otel.config.batch.maxQueueSize, { value: 2048, source: 'default' })
  assert.ok(
    warnings().some((w) =>
      w.startsWith(
        'logs.batch.maxExportBatchSize 200 (OTEL_BLRP_MAX_EXPORT_BATCH_SIZE) is larger than logs.batch.maxQueueSize 100'
      )
    ),
    warnings().join('\n')
  )
  assert.ok(
    warnings().includes(
      'OTEL_BLRP_MAX_QUEUE_SIZE overrides option logs.batch.maxQueueSize: using 100 from the environment instead of ' +
        '50 from the plugin options.'
    )
  )
})

test('record limits: logs.attributeValueLengthLimit and logs.attributeCountLimit, ' +
  'OTEL_LOGRECORD_* over them', async (t) => {
  withEnv(t, { OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: '3' })
  const exporter = new InMemoryLogRecordExporter()
  const { app } = await register(t, { logs: { exporter, attributeValueLengthLimit: 8, attributeCountLimit: 10 } })
  assert.deepEqual(app.otel.config.logs.attributeCountLimit, {
    value: 3,
    source: 'env',
    env: 'OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT'
  })
  assert.deepEqual(app.otel.config.logs.attributeValueLengthLimit, { value: 8, source: 'options' })
  app.log.child({ a: 'a-long-binding-value' }).info({ b: { deep: ['0123456789'] }, c: 1, d: 2, e: 3 }, 'limited')
  await app.otel.forceFlush()
  const record = exporter.getFinishedLogRecords().find((r) => r.body === 'limited')
  // pid, hostname and a come first; the rest is dropped and counted.
  assert.deepEqual(Object.keys(record.attributes), ['pid', 'hostname', 'a'])
  assert.equal(record.attributes.a, 'a-long-b')
  assert.equal(record.droppedAttributesCount, 4)
})

test('a logs variable that cannot be used is only warned about when log export is on', async (t) => {
  withEnv(t, { OTEL_BLRP_MAX_QUEUE_SIZE: 'lots', OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: 'soon' })
  const off = await register(t, {})
  assert.deepEqual(off.warnings(), [])
  await off.app.close()
  const on = await register(t, { logs: { exporter: new InMemoryLogRecordExporter() } })
  assert.ok(
    on.warnings().some((w) => w.startsWith('OTEL_BLRP_MAX_QUEUE_SIZE="lots" is invalid')),
    on.warnings().join('\n')
  )
  assert.ok(
    on.warnings().some((w) => w.startsWith('OTEL_EXPORTER_OTLP_LOGS_TIMEOUT="soon" is invalid')),
    on.warnings().join('\n')
  )
})

for (const [name, logs, code, message] of [
  [
    'type',
    'yes',
    'FOK_ERR_INVALID_OPTION',
    'option "logs" must be true, false or an object of log settings; received "yes" (string).'
  ],
  [
    'unknown key',
    { exporterr: {} },
    'FOK_ERR_UNKNOWN_OPTION',
    'unknown option "logs.exporterr". Did you mean "logs.exporter"?'
  ],
  [
    'exporter',
    { exporter: { endpoint: 'http://collector:4317' } },
    'FOK_ERR_INVALID_OPTION',
    'option "logs.exporter" must be a LogRecordExporter instance (export and shutdown methods); received an object.'
  ],
  ['batch key', { batch: { preset: 'moderate' } }, 'FOK_ERR_UNKNOWN_OPTION', 'unknown option "logs.batch.preset".'],
  [
    'batch limits',
    { batch: { maxQueueSize: 10, maxExportBatchSize: 20 } },
    'FOK_ERR_BATCH_LIMITS',
    'logs.batch.maxExportBatchSize (20) cannot be larger than logs.batch.maxQueueSize (10)'
  ],
  [
    'count limit',
    { attributeCountLimit: 0 },
    'FOK_ERR_INVALID_OPTION',
    'option "logs.attributeCountLimit" must be a positive integer; received 0 (number).'
  ]
]) {
  test(`option logs ${name}: rejected at registration with ${code}`, async () => {
    const app = Fastify()
    await assert.rejects(
      async () => {
        await app.register(otelPlugin, { serviceName: 'bad', handleSignals: false, logs })
      },
      (error) => {
        assert.equal(error.code, code)
        assert.ok(error.message.includes(message), error.message)
        return true
      }
    )
    await app.close()
  })
}

test('an override of the shared exporter.endpoint by OTEL_EXPORTER_OTLP_ENDPOINT is warned about once, ' +
  'with log export and metrics on (each signal appends its own path)', async (t) => {
  withEnv(t, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_LOGS_EXPORTER: 'otlp' })
  const { warnings } = await register(t, {
    exporter: { endpoint: 'http://localhost:4318' },
    metrics: { exporter: 'otlp' }
  })
  const override = 'OTEL_EXPORTER_OTLP_ENDPOINT overrides option exporter.endpoint'
  const overrides = warnings().filter((w) => w.startsWith(override))
  assert.equal(overrides.length, 1, warnings().join('\n'))
})
