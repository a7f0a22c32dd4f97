// The metrics settings: option `metrics`, OTEL_METRICS_EXPORTER and its companions, the
// configuration file's meter_provider; each value with its source, bad options coded errors, bad
// environment values warned about by name and ignored.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { resolveSdkConfig } from '../../dist/sdk/config/resolve-config.js'

const metricsOf = (options, env = {}) => resolveSdkConfig(options, env)

test("the defaults: on, OTLP over http/protobuf to the spans' collector, 60 s, " +
  'cumulative, Prometheus on localhost:9464', () => {
  const { config } = metricsOf({})
  const m = config.metrics
  assert.deepEqual(m.enabled, { value: true, source: 'default' })
  assert.deepEqual(m.exporters, { value: ['otlp'], source: 'default' })
  assert.equal(m.exporter.kind.value, 'otlp')
  assert.equal(m.exporter.endpoint.value, 'http://localhost:4318/v1/metrics')
  assert.equal(m.exportIntervalMillis.value, 60000)
  assert.equal(m.exportTimeoutMillis.value, 30000)
  assert.equal(m.temporality.value, 'cumulative')
  assert.deepEqual([m.prometheus.host.value, m.prometheus.port.value], ['localhost', 9464])
  assert.equal(m.runtime.value, true)
})

test('OTEL_METRICS_EXPORTER: a list, none anywhere is none, unknown names skipped and ' +
  'named, the variable wins over the option', () => {
  let { config, warnings } = metricsOf({}, { OTEL_METRICS_EXPORTER: 'otlp, prometheus,otlp' })
  assert.deepEqual(config.metrics.exporters, {
    value: ['otlp', 'prometheus'],
    source: 'env',
    env: 'OTEL_METRICS_EXPORTER'
  })
  ;({ config } = metricsOf({}, { OTEL_METRICS_EXPORTER: 'prometheus,none' }))
  assert.deepEqual(config.metrics.exporters.value, [])
  assert.equal(config.metrics.enabled.value, false)
  ;({ config, warnings } = metricsOf({}, { OTEL_METRICS_EXPORTER: 'prometheus,statsd' }))
  assert.deepEqual(config.metrics.exporters.value, ['prometheus'])
  assert.ok(
    warnings.some((w) => w.includes('OTEL_METRICS_EXPORTER names "statsd", which is not a metrics exporter')),
    warnings.join('\n')
  )
  for (const list of ['none,prometheus', 'prometheus,none']) {
    ;({ config, warnings } = metricsOf({}, { OTEL_METRICS_EXPORTER: list }))
    assert.deepEqual(config.metrics.exporters.value, [], list)
    assert.ok(
      warnings.some((w) => w.startsWith('OTEL_METRICS_EXPORTER names none beside "prometheus": none wins')),
      warnings.join('\n')
    )
  }
  ;({ config, warnings } = metricsOf({}, { OTEL_METRICS_EXPORTER: 'none' }))
  assert.deepEqual(warnings.filter((w) => w.includes('OTEL_METRICS_EXPORTER')), [])
  ;({ config, warnings } = metricsOf({ metrics: { exporter: 'console' } }, { OTEL_METRICS_EXPORTER: 'statsd' }))
  assert.deepEqual(config.metrics.exporters, { value: ['console'], source: 'options' })
  assert.ok(
    warnings.some(
      (w) =>
        w.startsWith('OTEL_METRICS_EXPORTER="statsd" is invalid') && w.includes('using console from the plugin options')
    )
  )
  ;({ config, warnings } = metricsOf({ metrics: { exporter: 'console' } }, { OTEL_METRICS_EXPORTER: 'otlp' }))
  assert.deepEqual(config.metrics.exporters.value, ['otlp'])
  assert.ok(warnings.some((w) => w.startsWith('OTEL_METRICS_EXPORTER overrides option metrics.exporter')))
})

test("metrics: false, and none with no reader of the application's, set nothing up; none with one keeps it", () => {
  assert.equal(metricsOf({ metrics: false }).config.metrics.enabled.value, false)
  assert.equal(metricsOf({ metrics: { exporter: 'none' } }).config.metrics.enabled.value, false)
  const reader = {
    setMetricProducer () {},
    collect: async () => ({}),
    shutdown: async () => {},
    forceFlush: async () => {}
  }
  const resolution = metricsOf({ metrics: { exporter: 'none', readers: [reader] } })
  assert.equal(resolution.config.metrics.enabled.value, true)
  assert.deepEqual(resolution.metricReaders, [reader])
  assert.deepEqual(resolution.config.metrics.readers, { value: 1, source: 'options' })
  // The variable turns the package's exporter off, not the application's readers.
  assert.equal(
    metricsOf({ metrics: { readers: [reader] } }, { OTEL_METRICS_EXPORTER: 'none' }).config.metrics.enabled.value,
    true
  )
})

test('interval, timeout (at most the interval), temporality, Prometheus host and ' +
  'port, from the environment and the options', () => {
  const { config, warnings } = metricsOf(
    { metrics: { exportIntervalMillis: 10000, temporality: 'delta' } },
    {
      OTEL_METRIC_EXPORT_TIMEOUT: '20000',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'LowMemory',
      OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0',
      OTEL_EXPORTER_PROMETHEUS_PORT: '9500'
    }
  )
  const m = config.metrics
  assert.deepEqual(m.exportIntervalMillis, { value: 10000, source: 'options' })
  assert.deepEqual(m.exportTimeoutMillis, { value: 10000, source: 'env', env: 'OTEL_METRIC_EXPORT_TIMEOUT' })
  assert.ok(warnings.some((w) => w.includes('is longer than the export interval (10000 ms): using 10000 ms')))
  // The default timeout fitted to a short interval, without a word: nobody set it.
  const fitted = metricsOf({ metrics: { exportIntervalMillis: 5000 } }, {})
  assert.deepEqual(fitted.config.metrics.exportTimeoutMillis, { value: 5000, source: 'default' })
  assert.deepEqual(fitted.warnings.filter((w) => w.includes('export timeout')), [])
  assert.deepEqual(m.temporality, {
    value: 'lowmemory',
    source: 'env',
    env: 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE'
  })
  assert.deepEqual(m.prometheus.host.value, '0.0.0.0')
  assert.deepEqual(m.prometheus.port, { value: 9500, source: 'env', env: 'OTEL_EXPORTER_PROMETHEUS_PORT' })
})

test('bad environment values: warned about by name, the next source applies', () => {
  const { config, warnings } = metricsOf(
    {},
    {
      OTEL_METRIC_EXPORT_INTERVAL: 'soon',
      OTEL_EXPORTER_PROMETHEUS_PORT: '70000',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes'
    }
  )
  assert.equal(config.metrics.exportIntervalMillis.value, 60000)
  assert.equal(config.metrics.prometheus.port.value, 9464)
  assert.equal(config.metrics.temporality.value, 'cumulative')
  for (const name of [
    'OTEL_METRIC_EXPORT_INTERVAL',
    'OTEL_EXPORTER_PROMETHEUS_PORT',
    'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE'
  ]) {
    assert.ok(
      warnings.some((w) => w.startsWith(`${name}=`) && w.includes('is invalid')),
      name
    )
  }
})

test('bad options: coded errors at registration, naming the option', () => {
  const cases = [
    [{ metrics: 'yes' }, /metrics/],
    [{ metrics: { exporter: 'statsd' } }, /metrics\.exporter/],
    [{ metrics: { exporter: ['otlp', 'zipkin'] } }, /metrics\.exporter\[1\]/],
    [{ metrics: { readers: [{}] } }, /metrics\.readers\[0\]/],
    [{ metrics: { views: [{ name: 'x' }] } }, /metrics\.views\[0\]/],
    [{ metrics: { views: [{ instrumentName: 'http.*', name: 'x' }] } }, /metrics\.views\[0\]\.name/],
    [{ metrics: { prometheus: { port: 0 } } }, /metrics\.prometheus\.port/],
    [{ metrics: { temporality: 'sometimes' } }, /metrics\.temporality/],
    [{ metrics: { exportIntervalMillis: -1 } }, /metrics\.exportIntervalMillis/],
    [{ metrics: { exprter: 'otlp' } }, /exprter/],
    [{ exporter: { metrics: { endpont: 'http://x' } } }, /exporter\.metrics\.endpont/]
  ]
  for (const [options, pattern] of cases) {
    assert.throws(
      () => resolveSdkConfig(options, {}),
      (error) => {
        assert.match(error.code, /^FOK_ERR_(INVALID|UNKNOWN)_OPTION$/)
        assert.match(error.message, pattern)
        return true
      },
      JSON.stringify(options)
    )
  }
})

test("exporter.metrics and OTEL_EXPORTER_OTLP_METRICS_*: the metrics' own OTLP settings over the shared ones", () => {
  const { config, metricExporterHeaders } = resolveSdkConfig(
    { exporter: { endpoint: 'http://shared:4318', headers: { 'x-team': 'pay' }, metrics: { protocol: 'grpc' } } },
    { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:4317', OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-key=k1' }
  )
  assert.equal(config.metrics.exporter.protocol.value, 'grpc')
  assert.equal(config.metrics.exporter.endpoint.value, 'http://metrics:4317')
  assert.deepEqual(metricExporterHeaders, { 'x-team': 'pay', 'x-key': 'k1' })
  assert.equal(config.exporter.endpoint.value, 'http://shared:4318/v1/traces')
})

test("the configuration file's meter_provider: readers as OTEL_METRICS_EXPORTER and " +
  'its companions, with their places', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fok-metrics-file-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'otel.yaml')
  writeFileSync(
    file,
    `file_format: "1.1"
propagator:
  composite_list: tracecontext
tracer_provider:
  processors:
    - batch:
        exporter:
          console:
meter_provider:
  readers:
    - periodic:
        interval: 15000
        timeout: 5000
        exporter:
          otlp_grpc:
            endpoint: http://collector:4317
            temporality_preference: low_memory
    - pull:
        exporter:
          prometheus/development:
            host: 0.0.0.0
            port: 9466
  views:
    - selector:
        instrument_name: http.server.request.duration
      stream:
        name: latency
`
  )
  const { config, warnings } = resolveSdkConfig({}, { OTEL_CONFIG_FILE: file, OTEL_METRICS_EXPORTER: 'none' })
  const m = config.metrics
  assert.deepEqual(m.exporters, { value: ['otlp', 'prometheus'], source: 'file', path: '.meter_provider.readers' })
  assert.deepEqual(m.exportIntervalMillis, {
    value: 15000,
    source: 'file',
    path: '.meter_provider.readers[0].periodic.interval'
  })
  assert.equal(m.exportTimeoutMillis.value, 5000)
  assert.equal(m.exporter.protocol.value, 'grpc')
  assert.equal(m.exporter.endpoint.value, 'http://collector:4317')
  assert.equal(m.temporality.value, 'lowmemory')
  assert.deepEqual([m.prometheus.host.value, m.prometheus.port.value], ['0.0.0.0', 9466])
  assert.ok(
    warnings.some((w) => w.includes('.meter_provider.views (views are taken as option metrics.views, in the code)')),
    warnings.join('\n')
  )

  writeFileSync(
    file,
    'file_format: "1.1"\nmeter_provider:\n  readers:\n    - periodic:\n' +
      '        exporter:\n          otlp_file/development:\n'
  )
  assert.throws(
    () => resolveSdkConfig({}, { OTEL_CONFIG_FILE: file }),
    /exporter "otlp_file\/development" is not supported/
  )
})
