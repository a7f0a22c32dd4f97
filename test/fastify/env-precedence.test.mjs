// Precedence: environment > plugin options > defaults. Every override is warned about once, with
// secrets redacted; invalid environment values are warned about and ignored.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { INBOUND_TRACE_ID, sampledParent, tracedApp, withEnv } from '../helpers.mjs'

const warnings = (logs) => logs.lines.filter((l) => l.level === 40).map((l) => l.msg)

test('with no environment, options win over defaults and every value says where it came from', async (t) => {
  const { app } = await tracedApp(t, {
    options: { serviceName: 'payments', batch: 'aggressive', sampler: 'always_on' }
  })
  const c = app.otel.config
  assert.deepEqual(c.serviceName, { value: 'payments', source: 'options' })
  assert.deepEqual(c.sampler, { value: 'always_on', source: 'options' })
  assert.deepEqual(c.samplingRatio, { value: 1, source: 'default' })
  assert.deepEqual(c.batch.preset, { value: 'aggressive', source: 'options' })
  assert.deepEqual(c.batch.maxQueueSize, { value: 8192, source: 'options' })
  assert.deepEqual(c.batch.scheduledDelayMillis, { value: 10000, source: 'options' })
  assert.deepEqual(c.batch.maxExportBatchSize, { value: 1024, source: 'options' })
  assert.deepEqual(c.batch.exportTimeoutMillis, { value: 30000, source: 'default' })
  assert.deepEqual(c.propagators, { value: ['tracecontext', 'baggage', 'b3multi'], source: 'default' })
  assert.deepEqual(c.exporter.kind, { value: 'custom', source: 'options' })
  assert.deepEqual(c.exporter.protocol, { value: 'http/protobuf', source: 'default' })
  assert.deepEqual(c.exporter.endpoint, { value: 'http://localhost:4318/v1/traces', source: 'default' })
  assert.deepEqual(c.disabled, { value: false, source: 'default' })
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.batch))
})

test('OTEL_SERVICE_NAME overrides the serviceName option, says so once, ' +
  'and reaches the exported resource', async (t) => {
  withEnv(t, { OTEL_SERVICE_NAME: 'billing' })
  const { app, logs, spans } = await tracedApp(t, { options: { serviceName: 'payment-processor' } })
  assert.deepEqual(app.otel.config.serviceName, { value: 'billing', source: 'env', env: 'OTEL_SERVICE_NAME' })
  const notes = warnings(logs).filter((m) => m.includes('OTEL_SERVICE_NAME'))
  assert.deepEqual(notes, [
    'fastify-otel-kit: OTEL_SERVICE_NAME overrides option serviceName: ' +
      'using "billing" from the environment instead of "payment-processor" from the plugin options.'
  ])
  app.get('/', async () => 'ok')
  await app.inject({ url: '/' })
  const [span] = await spans()
  assert.equal(span.resource.attributes['service.name'], 'billing')
})

test('OTEL_RESOURCE_ATTRIBUTES: percent-decoded, overrides option attributes key by key; ' +
  'OTEL_SERVICE_NAME beats its service.name', async (t) => {
  withEnv(t, {
    OTEL_SERVICE_NAME: 'from-service-name',
    OTEL_RESOURCE_ATTRIBUTES:
      'service.name=from-attributes,service.version=2.4.1,deployment.environment.name=prod,' +
      'team=pay%20ments,region=eu-west-1'
  })
  const { app, logs, spans } = await tracedApp(t, {
    options: { serviceVersion: '2.4.0', resourceAttributes: { team: 'core', tier: 'gold' } }
  })
  const c = app.otel.config
  assert.deepEqual(c.serviceName, { value: 'from-service-name', source: 'env', env: 'OTEL_SERVICE_NAME' })
  assert.deepEqual(c.serviceVersion, { value: '2.4.1', source: 'env', env: 'OTEL_RESOURCE_ATTRIBUTES' })
  assert.deepEqual(c.deploymentEnvironment, { value: 'prod', source: 'env', env: 'OTEL_RESOURCE_ATTRIBUTES' })
  assert.deepEqual(c.resourceAttributes.value, { team: 'pay ments', tier: 'gold', region: 'eu-west-1' })
  assert.ok(
    warnings(logs).includes(
      'fastify-otel-kit: OTEL_RESOURCE_ATTRIBUTES overrides option resourceAttributes["team"]: ' +
        'using "pay ments" from the environment instead of "core" from the plugin options.'
    )
  )
  assert.ok(
    warnings(logs).includes(
      'fastify-otel-kit: OTEL_RESOURCE_ATTRIBUTES overrides option serviceVersion: ' +
        'using "2.4.1" from the environment instead of "2.4.0" from the plugin options.'
    )
  )
  app.get('/', async () => 'ok')
  await app.inject({ url: '/' })
  const [span] = await spans()
  const resource = span.resource.attributes
  assert.equal(resource['service.name'], 'from-service-name')
  assert.equal(resource['service.version'], '2.4.1')
  assert.equal(resource['deployment.environment.name'], 'prod')
  assert.equal(resource.team, 'pay ments')
  assert.equal(resource.tier, 'gold')
  assert.equal(resource['telemetry.sdk.language'], 'nodejs')
  assert.equal(typeof resource['host.name'], 'string')
})

test('OTEL_TRACES_SAMPLER and _ARG override the sampler options', async (t) => {
  withEnv(t, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' })
  const { app, spans } = await tracedApp(t, { options: { sampler: 'always_on' } })
  assert.deepEqual(app.otel.config.sampler, {
    value: 'parentbased_traceidratio',
    source: 'env',
    env: 'OTEL_TRACES_SAMPLER'
  })
  assert.deepEqual(app.otel.config.samplingRatio, { value: 0, source: 'env', env: 'OTEL_TRACES_SAMPLER_ARG' })
  app.get('/', async () => 'ok')
  await app.inject({ url: '/' })
  await app.inject({ url: '/', headers: { traceparent: sampledParent } })
  const all = await spans()
  // Ratio 0 drops new traces; the parent-based sampler still honours a sampled parent.
  assert.equal(all.length, 1)
  assert.equal(all[0].spanContext().traceId, INBOUND_TRACE_ID)
})

test('OTLP exporter variables: the _TRACES_ variant wins, headers merge key by key and stay redacted', async (t) => {
  withEnv(t, {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces-collector:4318/v1/traces',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20env-secret,x-tenant=acme',
    OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip'
  })
  const { app, logs } = await tracedApp(t, {
    options: {
      exporter: {
        endpoint: 'http://code-default:4318',
        headers: { authorization: 'Bearer option-secret', 'x-team': 'pay' },
        timeoutMillis: 1000
      }
    }
  })
  const e = app.otel.config.exporter
  assert.deepEqual(e.kind, { value: 'otlp', source: 'default' })
  assert.deepEqual(e.endpoint, {
    value: 'http://traces-collector:4318/v1/traces',
    source: 'env',
    env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
  })
  assert.deepEqual(e.timeoutMillis, { value: 2500, source: 'env', env: 'OTEL_EXPORTER_OTLP_TIMEOUT' })
  assert.deepEqual(e.compression, { value: 'gzip', source: 'env', env: 'OTEL_EXPORTER_OTLP_COMPRESSION' })
  assert.deepEqual(e.headers, {
    value: { authorization: '[REDACTED]', 'x-team': '[REDACTED]', 'x-tenant': '[REDACTED]' },
    source: 'env',
    env: 'OTEL_EXPORTER_OTLP_HEADERS'
  })
  const all = warnings(logs)
  assert.ok(
    all.includes(
      'fastify-otel-kit: OTEL_EXPORTER_OTLP_HEADERS overrides option exporter.headers["authorization"]: ' +
        'using [REDACTED] from the environment instead of [REDACTED] from the plugin options.'
    )
  )
  assert.ok(
    all.includes(
      'fastify-otel-kit: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT overrides option exporter.endpoint: using "http://traces-collector:4318/v1/traces" from the environment instead of "http://code-default:4318" from the plugin options.'
    )
  )
  assert.equal(all.filter((m) => m.includes('exporter.endpoint')).length, 1)
  for (const line of logs.lines) assert.doesNotMatch(JSON.stringify(line), /secret/)
})

test('OTEL_BSP_* override batch values one by one; an invalid one warns and falls back', async (t) => {
  withEnv(t, { OTEL_BSP_MAX_QUEUE_SIZE: '4096', OTEL_BSP_SCHEDULE_DELAY: 'soon', OTEL_BSP_EXPORT_TIMEOUT: '12000' })
  const { app, logs } = await tracedApp(t, { options: { batch: { preset: 'moderate', scheduledDelayMillis: 250 } } })
  const b = app.otel.config.batch
  assert.deepEqual(b.maxQueueSize, { value: 4096, source: 'env', env: 'OTEL_BSP_MAX_QUEUE_SIZE' })
  assert.deepEqual(b.scheduledDelayMillis, { value: 250, source: 'options' })
  assert.deepEqual(b.maxExportBatchSize, { value: 512, source: 'options' })
  assert.deepEqual(b.exportTimeoutMillis, { value: 12000, source: 'env', env: 'OTEL_BSP_EXPORT_TIMEOUT' })
  assert.deepEqual(b.preset, { value: 'custom', source: 'options' })
  assert.ok(
    warnings(logs).includes(
      'fastify-otel-kit: OTEL_BSP_SCHEDULE_DELAY="soon" is invalid (expected a positive integer); ' +
        'ignoring it and using 250 from the plugin options.'
    )
  )
})

test('an environment batch size larger than the queue is clamped to the queue, ' +
  'with a warning (specification)', async (t) => {
  withEnv(t, { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '5000' })
  const { app, logs } = await tracedApp(t)
  assert.deepEqual(app.otel.config.batch.maxQueueSize, { value: 2048, source: 'default' })
  assert.deepEqual(app.otel.config.batch.maxExportBatchSize, {
    value: 2048,
    source: 'env',
    env: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'
  })
  assert.ok(
    warnings(logs).includes(
      'fastify-otel-kit: batch.maxExportBatchSize 5000 (OTEL_BSP_MAX_EXPORT_BATCH_SIZE) is larger than ' +
        "batch.maxQueueSize 2048 (the default); using 2048, the queue's size, as the batch size."
    )
  )
})

test('OTEL_BSP_MAX_QUEUE_SIZE alone, smaller than the default batch: the queue applies and the batch is ' +
  'clamped to it', async (t) => {
  withEnv(t, { OTEL_BSP_MAX_QUEUE_SIZE: '100' })
  const { app, exporter } = await tracedApp(t)
  assert.deepEqual(app.otel.config.batch.maxQueueSize, { value: 100, source: 'env', env: 'OTEL_BSP_MAX_QUEUE_SIZE' })
  assert.deepEqual(app.otel.config.batch.maxExportBatchSize, {
    value: 100,
    source: 'env',
    env: 'OTEL_BSP_MAX_QUEUE_SIZE'
  })
  app.get('/', async () => 'ok')
  for (let i = 0; i < 150; i++) await app.inject({ url: '/' })
  await app.otel.forceFlush()
  // A queue of 100: the first full batch leaves at once, and nothing else is lost.
  assert.deepEqual(app.otel.stats(), {
    created: 150,
    queued: 0,
    exported: 150,
    dropped: 0,
    failed: 0,
    retries: 0,
    lostInWorkers: 0
  })
  assert.equal(exporter.getFinishedSpans().length, 150)
})

test('OTEL_PROPAGATORS with an unsupported entry: it is warned about and skipped, the known ones apply', async (t) => {
  withEnv(t, { OTEL_PROPAGATORS: 'tracecontext,xray' })
  const { app, logs } = await tracedApp(t, { options: { propagators: ['b3'] } })
  assert.deepEqual(app.otel.config.propagators, { value: ['tracecontext'], source: 'env', env: 'OTEL_PROPAGATORS' })
  assert.ok(
    warnings(logs).includes(
      'fastify-otel-kit: OTEL_PROPAGATORS names "xray", which this package does not support ' +
        '(supported: tracecontext, baggage, b3, b3multi, none); skipping it and using tracecontext.'
    )
  )
  app.get('/', async (request) => request.otel.inject({}))
  assert.deepEqual(Object.keys((await app.inject({ url: '/' })).json()), ['traceparent'])
})

test('OTEL_TRACES_EXPORTER and OTEL_LOGS_EXPORTER with a list: the first name is used and the others are named ' +
  'in a warning', async (t) => {
  withEnv(t, { OTEL_TRACES_EXPORTER: 'none,console', OTEL_LOGS_EXPORTER: 'none,otlp' })
  const { app, logs } = await tracedApp(t)
  assert.equal(app.otel.config.exporter.kind.value, 'none')
  const given = warnings(logs)
  assert.ok(
    given.includes(
      'fastify-otel-kit: OTEL_TRACES_EXPORTER="none,console" names 2 exporters; this package runs one per signal: ' +
        'using none, ignoring console.'
    ),
    given.join('\n')
  )
  assert.ok(
    given.includes(
      'fastify-otel-kit: OTEL_LOGS_EXPORTER="none,otlp" names 2 exporters; this package runs one per signal: ' +
        'using none, ignoring otlp.'
    ),
    given.join('\n')
  )
})

test('OTEL_PROPAGATORS picks the propagators over the option', async (t) => {
  withEnv(t, { OTEL_PROPAGATORS: 'b3' })
  const { app } = await tracedApp(t, { options: { propagators: ['tracecontext'] } })
  assert.deepEqual(app.otel.config.propagators, { value: ['b3'], source: 'env', env: 'OTEL_PROPAGATORS' })
  app.get('/', async (request) => request.otel.inject({}))
  const injected = (await app.inject({ url: '/' })).json()
  assert.deepEqual(Object.keys(injected), ['b3'])
})

test('invalid environment values warn and fall back as if unset', async (t) => {
  withEnv(t, {
    OTEL_PROPAGATORS: 'jaeger',
    OTEL_TRACES_SAMPLER: 'sometimes',
    OTEL_EXPORTER_OTLP_INSECURE: 'maybe',
    OTEL_TRACES_SAMPLER_ARG: '2'
  })
  const { app, logs } = await tracedApp(t, { options: { samplingRatio: 0.5, sampler: 'parentbased_traceidratio' } })
  const c = app.otel.config
  assert.deepEqual(c.propagators, { value: ['tracecontext', 'baggage', 'b3multi'], source: 'default' })
  assert.deepEqual(c.sampler, { value: 'parentbased_traceidratio', source: 'options' })
  assert.deepEqual(c.samplingRatio, { value: 0.5, source: 'options' })
  assert.deepEqual(c.exporter.insecure, { value: false, source: 'default' })
  const all = warnings(logs)
  assert.ok(
    all.includes(
      'fastify-otel-kit: OTEL_PROPAGATORS="jaeger" is invalid ' +
        '(no supported propagator (supported: tracecontext, baggage, b3, b3multi, none)); ' +
        'ignoring it and using tracecontext,baggage,b3multi from the default.'
    )
  )
  assert.ok(
    all.includes(
      'fastify-otel-kit: OTEL_TRACES_SAMPLER="sometimes" is invalid (expected one of always_on, always_off, ' +
        'traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio); ' +
        'ignoring it and using parentbased_traceidratio from the plugin options.'
    )
  )
  assert.ok(
    all.includes(
      'fastify-otel-kit: OTEL_TRACES_SAMPLER_ARG="2" is invalid (expected a number from 0 to 1); ' +
        'ignoring it and using 0.5 from the plugin options.'
    )
  )
})

test('OTEL_TRACES_EXPORTER=none overrides an exporter instance: nothing is exported', async (t) => {
  withEnv(t, { OTEL_TRACES_EXPORTER: 'none' })
  const { app, exporter, logs } = await tracedApp(t)
  assert.deepEqual(app.otel.config.exporter.kind, { value: 'none', source: 'env', env: 'OTEL_TRACES_EXPORTER' })
  assert.ok(
    warnings(logs).some((m) => m.startsWith('fastify-otel-kit: OTEL_TRACES_EXPORTER overrides option exporter'))
  )
  app.get('/', async () => 'ok')
  await app.inject({ url: '/' })
  await app.otel.forceFlush()
  assert.deepEqual(exporter.getFinishedSpans(), [])
})

test('OTEL_EXPORTER_OTLP_PROTOCOL overrides option exporter.protocol, and the endpoint follows the ' +
  'protocol', async (t) => {
  withEnv(t, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })
  const { app, logs } = await tracedApp(t, { options: { exporter: { protocol: 'http/json' } } })
  const e = app.otel.config.exporter
  assert.deepEqual(e.protocol, { value: 'grpc', source: 'env', env: 'OTEL_EXPORTER_OTLP_PROTOCOL' })
  assert.deepEqual(e.endpoint, { value: 'http://localhost:4317', source: 'default' })
  assert.ok(
    warnings(logs).includes(
      'fastify-otel-kit: OTEL_EXPORTER_OTLP_PROTOCOL overrides option exporter.protocol: using grpc from the ' +
        'environment instead of http/json from the plugin options.'
    )
  )
})

test('no service name anywhere: a warning says spans will be unknown_service', async (t) => {
  const { app, logs } = await tracedApp(t, { options: { serviceName: undefined } })
  assert.deepEqual(app.otel.config.serviceName, { value: 'unknown_service:node', source: 'default' })
  assert.ok(warnings(logs).some((m) => m.includes('spans will be reported as "unknown_service:node"')))
})

test("app.otel.config shows each signal's endpoint with its user, password and query values redacted; " +
  'the exporters still send to it as given', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const withSecrets = (path) =>
    receiver.httpEndpoint.replace('http://', 'http://apikey:PASSWORD42@') + `${path}?token=QUERY43`
  withEnv(t, {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: withSecrets('/v1/traces'),
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: withSecrets('/v1/metrics')
  })
  const app = Fastify({ logger: false })
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'shown-config',
    handleSignals: false,
    lifecycleSpans: 'off',
    logs: true,
    exporter: { logs: { endpoint: withSecrets('/v1/logs') } }
  })
  const shown = app.otel.config
  for (const e of [shown.exporter, shown.logs.exporter, shown.metrics.exporter]) {
    assert.match(e.endpoint.value, /^http:\/\/\[REDACTED\]@127\.0\.0\.1:\d+\/v1\/\w+\?token=\[REDACTED\]$/)
  }
  assert.ok(!JSON.stringify(shown).includes('PASSWORD42') && !JSON.stringify(shown).includes('QUERY43'))
  assert.ok(Object.isFrozen(shown.exporter.endpoint) && Object.isFrozen(shown.logs))
  app.get('/', async () => 'ok')
  await app.inject('/')
  await app.otel.forceFlush()
  const spans = await receiver.waitFor((all) => all.length === 1)
  assert.equal(spans[0].name, 'GET /')
})

test('the environment wins over instances too: OTEL_TRACES_SAMPLER over a Sampler, OTEL_PROPAGATORS over a ' +
  'propagator, OTEL_METRICS_EXPORTER over a metric exporter; each override is warned about', async (t) => {
  const { AggregationTemporality, InMemoryMetricExporter } = await import('@opentelemetry/sdk-metrics')
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core')
  withEnv(t, { OTEL_TRACES_SAMPLER: 'always_off', OTEL_PROPAGATORS: 'b3', OTEL_METRICS_EXPORTER: 'none' })
  let sampled = 0
  const sampler = {
    shouldSample () {
      sampled++
      return { decision: 2 }
    },
    toString: () => 'CountingSampler'
  }
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const { app, logs, spans } = await tracedApp(t, {
    options: { sampler, propagator: new W3CTraceContextPropagator(), metrics: { exporter: metricExporter } }
  })
  assert.deepEqual(app.otel.config.sampler, { value: 'always_off', source: 'env', env: 'OTEL_TRACES_SAMPLER' })
  assert.deepEqual(app.otel.config.propagators, { value: ['b3'], source: 'env', env: 'OTEL_PROPAGATORS' })
  app.get('/', async (request) => request.otel.traceId)
  // b3 is what is read: a W3C traceparent is not (the instance would have read it).
  const res = await app.inject({ url: '/', headers: { traceparent: sampledParent } })
  assert.notEqual(res.body, INBOUND_TRACE_ID)
  assert.equal(sampled, 0, 'the sampler instance was never asked')
  assert.deepEqual(await spans(), [], 'always_off: nothing sampled')
  await app.otel.forceFlush()
  assert.deepEqual(metricExporter.getMetrics(), [], 'no metrics to the instance')
  const overrides = warnings(logs).filter((m) => / overrides option /.test(m))
  for (const option of ['sampler', 'propagator', 'metrics.exporter']) {
    assert.ok(overrides.some((m) => m.includes(` overrides option ${option}`)), `${option}: ${overrides.join('\n')}`)
  }
})

test('a metric exporter instance in metrics.exporter gets the HTTP metrics', async (t) => {
  const { AggregationTemporality, InMemoryMetricExporter } = await import('@opentelemetry/sdk-metrics')
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const { app } = await tracedApp(t, { options: { metrics: { exporter: metricExporter } } })
  assert.deepEqual(app.otel.config.metrics.exporters, { value: ['custom'], source: 'options' })
  app.get('/orders/:id', async () => 'ok')
  await app.inject({ url: '/orders/7' })
  await app.otel.forceFlush()
  const names = metricExporter
    .getMetrics()
    .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)))
  assert.ok(names.includes('http.server.request.duration'), names.join(', '))
})
