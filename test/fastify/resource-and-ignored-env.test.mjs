// What a registration puts on every span's resource (the detectors' attributes under the
// configured identity), and what it says about the OTEL_* variables nothing acts on: one warning,
// names and reasons only, once per process.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { logCapture, tracedApp, withEnv } from '../helpers.mjs'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'

const coded = (logs, code) => logs.lines.filter((l) => l.level === 40 && l.code === code).map((l) => l.msg)

test('spans carry service.instance.id, host.*, os.* and process.* by default, and the configured identity on ' +
  'top', async (t) => {
  const { app, spanNamed } = await tracedApp(t, { options: { serviceVersion: '1.2.3' } })
  app.get('/', async () => 'ok')
  await app.inject('/')
  const span = await spanNamed('GET /')
  await span.resource.waitForAsyncAttributes?.()
  const attributes = span.resource.attributes
  assert.equal(attributes['service.name'], 'test-service')
  assert.equal(attributes['service.version'], '1.2.3')
  assert.match(attributes['service.instance.id'], /^[0-9a-f-]{36}$/)
  assert.equal(typeof attributes['host.name'], 'string')
  assert.equal(typeof attributes['os.type'], 'string')
  assert.equal(attributes['process.pid'], process.pid)
  assert.equal(attributes['process.command_args'], undefined)
  assert.deepEqual(app.otel.config.resourceDetectors, {
    value: ['host', 'os', 'process', 'serviceinstance', 'container'],
    source: 'default'
  })
})

test('OTEL_NODE_RESOURCE_DETECTORS switches them; a detector whose package is missing is reported once per ' +
  'process', async (t) => {
  withEnv(t, { OTEL_NODE_RESOURCE_DETECTORS: 'host,aws' })
  const first = await tracedApp(t)
  // A second instance shares the SDK (and its resource): nothing is detected, or reported, twice.
  const second = await tracedApp(t)
  first.app.get('/', async () => 'ok')
  await first.app.inject('/')
  const span = await first.spanNamed('GET /')
  await span.resource.waitForAsyncAttributes?.()
  assert.equal(typeof span.resource.attributes['host.name'], 'string')
  assert.equal(span.resource.attributes['process.pid'], undefined)
  assert.equal(span.resource.attributes['service.instance.id'], undefined)
  const missing = [first, second].flatMap(({ logs }) => coded(logs, 'FOK_WARN_DETECTOR_MISSING'))
  assert.equal(missing.length, 1, JSON.stringify(missing))
  assert.match(missing[0], /resource detector "aws" is not available: `npm install @opentelemetry\/resource-detector-aws`/)
  assert.deepEqual(first.app.otel.config.resourceDetectors, {
    value: ['host', 'os', 'aws'],
    source: 'env',
    env: 'OTEL_NODE_RESOURCE_DETECTORS'
  })
})

test('OTEL_* variables nothing acts on: one warning at registration, every name, no value, not repeated by a ' +
  'second instance', async (t) => {
  const secret = 'sk_live_must_never_print'
  withEnv(t, {
    OTEL_EXPORTER_OTLP_HEADRS: `authorization=Bearer%20${secret}`,
    OTEL_METRICS_EXEMPLAR_FILTER: 'always_on',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: `http://user:${secret}@zipkin:9411`,
    OTEL_SERVICE_NAME: 'acted-on'
  })
  const first = await tracedApp(t)
  const second = await tracedApp(t)
  const ignored = coded(first.logs, 'FOK_WARN_ENV_IGNORED')
  assert.equal(ignored.length, 1, JSON.stringify(first.logs.lines))
  assert.equal(
    ignored[0],
    'fastify-otel-kit: 3 OTEL_* variables are set but not acted on (values not shown): ' +
      'OTEL_EXPORTER_OTLP_HEADRS: not a variable this package knows (did you mean OTEL_EXPORTER_OTLP_HEADERS?); ' +
      'OTEL_EXPORTER_ZIPKIN_ENDPOINT: Zipkin export is not supported: send OTLP (Zipkin and most backends take it, ' +
      'or a Collector forwards it); OTEL_METRICS_EXEMPLAR_FILTER: exemplars are not recorded by this package.'
  )
  assert.deepEqual(coded(second.logs, 'FOK_WARN_ENV_IGNORED'), [])
  const everything = JSON.stringify([...first.logs.lines, ...second.logs.lines])
  assert.ok(!everything.includes(secret), everything)
})

test('with nothing ignored, nothing is said', async (t) => {
  withEnv(t, { OTEL_SERVICE_NAME: 'quiet', OTEL_BSP_SCHEDULE_DELAY: '100' })
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  t.after(() => app.close())
  await app.register(otelPlugin, { exporter: new InMemorySpanExporter(), handleSignals: false })
  assert.deepEqual(coded(logs, 'FOK_WARN_ENV_IGNORED'), [])
})
