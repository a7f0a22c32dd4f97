// OTEL_CONFIG_FILE: the file is parsed and validated by @opentelemetry/configuration, mapped onto
// the settings it replaces, and every value says where in the file it came from. The environment's
// SDK variables are ignored (and named), a value the file leaves out falls to the options, a file
// that cannot be used is a coded error that never echoes what the file holds.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { resolveSdkConfig } from '../../dist/sdk/config/resolve-config.js'

const fixtures = fileURLToPath(new URL('../fixtures/config-files/', import.meta.url))

/** Writes `yaml` to a file of its own, removed after the test; returns the path. */
function configFile (t, yaml) {
  const dir = mkdtempSync(join(tmpdir(), 'fok-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'otel.yaml')
  writeFileSync(file, yaml)
  return file
}

/** The coded error a resolution throws, or a failure if it does not throw. */
function errorOf (fn) {
  try {
    fn()
  } catch (error) {
    return error
  }
  assert.fail('expected FOK_ERR_CONFIG_FILE')
}

const HTTP_ENV = {
  TEST_OTLP_HTTP_ENDPOINT: 'http://collector.example:4318',
  TEST_API_KEY: 'k3y-from-env'
}

test('the file replaces the environment: its values are used, each with its place in the file, and the ' +
  'variables are named as ignored', (t) => {
  // The file's own references (${TEST_...}) are read from the process's environment, as upstream's parser does.
  Object.assign(process.env, HTTP_ENV)
  t.after(() => {
    for (const key of Object.keys(HTTP_ENV)) delete process.env[key]
  })
  const env = {
    OTEL_CONFIG_FILE: join(fixtures, 'otlp-http.yaml'),
    OTEL_SERVICE_NAME: 'from-env',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://elsewhere:4317',
    OTEL_TRACES_SAMPLER: 'always_off',
    OTEL_BSP_SCHEDULE_DELAY: '60000'
  }
  const { config, warnings, ignoredEnv, exporterHeaders, logExporterHeaders } = resolveSdkConfig({}, env)
  assert.deepEqual(config.configFile, { value: env.OTEL_CONFIG_FILE, source: 'env', env: 'OTEL_CONFIG_FILE' })
  assert.deepEqual(config.serviceName, { value: 'from-file', source: 'file', path: '.resource.attributes[0]' })
  assert.deepEqual(config.deploymentEnvironment, { value: 'staging', source: 'file', path: '.resource.attributes[1]' })
  // Typed, as the file says: an int stays a number (a variable could only give a string).
  assert.deepEqual(config.resourceAttributes, {
    value: { 'replica.count': 3 },
    source: 'file',
    path: '.resource.attributes'
  })
  assert.deepEqual(config.resourceDetectors.value, ['serviceinstance', 'host', 'os'])
  assert.deepEqual(config.propagators, {
    value: ['tracecontext', 'baggage'],
    source: 'file',
    path: '.propagator.composite'
  })
  assert.deepEqual(config.sampler, { value: 'parentbased_always_on', source: 'file', path: '.tracer_provider.sampler' })
  const exporterAt = '.tracer_provider.processors[0].batch.exporter.otlp_http'
  assert.deepEqual(config.exporter.protocol, { value: 'http/protobuf', source: 'file', path: exporterAt })
  assert.deepEqual(config.exporter.endpoint, {
    value: 'http://collector.example:4318/v1/traces',
    source: 'file',
    path: `${exporterAt}.endpoint`
  })
  assert.deepEqual(config.exporter.headers, {
    value: { 'x-api-key': '[REDACTED]' },
    source: 'file',
    path: `${exporterAt}.headers`
  })
  assert.deepEqual(exporterHeaders, { 'x-api-key': 'k3y-from-env' })
  assert.deepEqual(config.batch.scheduledDelayMillis, {
    value: 100,
    source: 'file',
    path: '.tracer_provider.processors[0].batch.schedule_delay'
  })
  // Log records: their own processor and exporter, JSON encoding, headers from headers_list.
  assert.equal(config.logs.enabled.value, true)
  assert.equal(config.logs.exporter.protocol.value, 'http/json')
  assert.equal(config.logs.exporter.endpoint.value, 'http://collector.example:4318/v1/logs')
  assert.deepEqual(logExporterHeaders, { 'x-api-key': 'k3y-from-env' })
  assert.equal(config.logs.batch.scheduledDelayMillis.value, 100)
  assert.deepEqual(
    ignoredEnv.map((v) => v.name),
    ['OTEL_BSP_SCHEDULE_DELAY', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME', 'OTEL_TRACES_SAMPLER']
  )
  assert.match(ignoredEnv[0].reason, /^OTEL_CONFIG_FILE is set: the configuration file replaces the SDK variables/)
  // The file has no meter_provider: no metrics, as the file format reads it, and said.
  assert.equal(config.metrics.enabled.value, false)
  assert.deepEqual(warnings, [
    `${env.OTEL_CONFIG_FILE}: no meter_provider section, which the file format reads as no metrics: ` +
      'metrics are not exported.'
  ])
})

test('the file wins over the plugin options, with the same override warning as the environment, naming the ' +
  'place in the file', (t) => {
  const file = configFile(
    t,
    `file_format: "1.1"
resource:
  attributes:
    - name: service.name
      value: from-file
propagator:
  composite_list: tracecontext
tracer_provider:
  processors:
    - batch:
        max_queue_size: 4096
        exporter:
          otlp_grpc:
            endpoint: http://collector:4317
`
  )
  const { config, warnings } = resolveSdkConfig(
    {
      serviceName: 'from-code',
      batch: { maxQueueSize: 100, scheduledDelayMillis: 250 },
      attributeValueLengthLimit: 64
    },
    { OTEL_CONFIG_FILE: file }
  )
  assert.equal(config.serviceName.value, 'from-file')
  assert.ok(
    warnings.includes(
      `${file} at .resource.attributes[0] overrides option serviceName: using "from-file" from the ` +
        'configuration file ' +
        'instead of "from-code" from the plugin options.'
    ),
    warnings.join('\n')
  )
  assert.ok(
    warnings.includes(
      `${file} at .tracer_provider.processors[0].batch.max_queue_size overrides option batch.maxQueueSize: ` +
        'using 4096 ' +
        'from the configuration file instead of 100 from the plugin options.'
    ),
    warnings.join('\n')
  )
  // What the file leaves out comes from the options, then the defaults.
  assert.deepEqual(config.batch.scheduledDelayMillis, { value: 250, source: 'options' })
  assert.deepEqual(config.attributeValueLengthLimit, { value: 64, source: 'options' })
  assert.equal(config.exporter.protocol.value, 'grpc')
  assert.equal(config.exporter.endpoint.value, 'http://collector:4317')
})

test('sections the file leaves out mean what the file format says: no tracer_provider, no propagator, no ' +
  'logger_provider, no detection', (t) => {
  const file = configFile(
    t,
    `file_format: "1.0"
resource:
  attributes:
    - name: service.name
      value: quiet
`
  )
  const { config, warnings } = resolveSdkConfig(
    { propagators: ['tracecontext'], logs: true },
    { OTEL_CONFIG_FILE: file }
  )
  assert.deepEqual(config.exporter.kind, { value: 'none', source: 'file', path: '.tracer_provider' })
  assert.deepEqual(config.propagators, { value: ['none'], source: 'file', path: '.propagator' })
  assert.deepEqual(config.logs.enabled, { value: false, source: 'file', path: '.logger_provider' })
  assert.deepEqual(config.resourceDetectors, { value: [], source: 'file', path: '.resource.detection/development' })
  const text = warnings.join('\n')
  assert.ok(text.includes(`${file}: no propagator section, which the file format reads as no propagation`), text)
  assert.ok(text.includes(`${file}: no tracer_provider section, which the file format reads as no tracing: ` +
    'spans are not exported'), text)
  assert.match(text, /at \.propagator overrides option propagators: using none from the configuration file instead of tracecontext/)
  assert.match(text, /at \.logger_provider overrides option logs: using off from the configuration file/)
})

test('samplers, limits, log level and disabled map onto the settings they replace', (t) => {
  const file = configFile(
    t,
    `file_format: "1.0"
disabled: true
log_level: debug2
attribute_limits:
  attribute_value_length_limit: 300
tracer_provider:
  processors:
    - simple:
        exporter:
          console:
  limits:
    event_count_limit: 5
  sampler:
    parent_based:
      root:
        trace_id_ratio_based:
          ratio: 0.25
      remote_parent_not_sampled:
        always_off:
propagator:
  composite_list: b3multi,tracecontext
`
  )
  const { config, warnings } = resolveSdkConfig({}, { OTEL_CONFIG_FILE: file })
  assert.deepEqual(config.disabled, { value: true, source: 'file', path: '.disabled' })
  assert.deepEqual(config.logLevel, { value: 'debug', source: 'file', path: '.log_level' })
  assert.deepEqual(config.sampler, {
    value: 'parentbased_traceidratio',
    source: 'file',
    path: '.tracer_provider.sampler'
  })
  assert.deepEqual(config.samplingRatio, {
    value: 0.25,
    source: 'file',
    path: '.tracer_provider.sampler.parent_based.root.trace_id_ratio_based.ratio'
  })
  assert.deepEqual(config.attributeValueLengthLimit, {
    value: 300,
    source: 'file',
    path: '.attribute_limits.attribute_value_length_limit'
  })
  assert.equal(config.spanLimits.eventCountLimit.value, 5)
  assert.equal(config.exporter.kind.value, 'console')
  assert.deepEqual(config.propagators.value, ['b3multi', 'tracecontext'])
  assert.match(warnings.join('\n'), /\.tracer_provider\.processors\[0\]\.simple is run as this package's batch queue/)
})

test('a duration of 2^31 ms or more in the file is clamped, and the warning names the place in the file', (t) => {
  const file = configFile(
    t,
    `file_format: "1.0"
propagator:
  composite_list: tracecontext
tracer_provider:
  processors:
    - batch:
        export_timeout: 3000000000
        exporter:
          otlp_http:
            timeout: 2147483648
`
  )
  const { config, codedWarnings } = resolveSdkConfig({}, { OTEL_CONFIG_FILE: file })
  assert.equal(config.batch.exportTimeoutMillis.value, 2 ** 31 - 1)
  assert.equal(config.exporter.timeoutMillis.value, 2 ** 31 - 1)
  const clamped = codedWarnings.filter((w) => w.code === 'FOK_WARN_DURATION_CLAMPED').map((w) => w.message)
  assert.equal(clamped.length, 2, JSON.stringify(codedWarnings))
  assert.ok(clamped.some((m) => m.startsWith(`${file} at .tracer_provider.processors[0].batch.export_timeout ` +
    'is 3000000000 ms')), clamped.join('\n'))
  assert.ok(clamped.every((m) => !m.includes('OTEL_')), clamped.join('\n'))
})

test('what the file holds and this package does not act on is named, by its place in the file', (t) => {
  const file = configFile(
    t,
    `file_format: "1.1"
propagator:
  composite_list: tracecontext
meter_provider:
  readers:
    - periodic:
        exporter:
          console:
tracer_provder:
  processors: []
resource:
  schema_url: https://opentelemetry.io/schemas/1.30.0
tracer_provider:
  processors:
    - batch:
        exporter:
          console:
  tracer_configurator/development:
    default_config:
      enabled: true
`
  )
  const { warnings } = resolveSdkConfig({}, { OTEL_CONFIG_FILE: file })
  const notActedOn = warnings.find((w) => w.includes('not acted on by this package'))
  assert.equal(
    notActedOn,
    `${file}: not acted on by this package: ` +
      '.tracer_provder (not a property of file format 1.x: a typo?); ' +
      '.tracer_provider.tracer_configurator/development (not supported by this package); ' +
      '.resource.schema_url (no schema URL is sent).'
  )
})

test('OTEL_EXPERIMENTAL_CONFIG_FILE, the former name, is honoured; OTEL_CONFIG_FILE wins over it', () => {
  const minimal = join(fixtures, 'minimal.yaml')
  const old = resolveSdkConfig({}, { OTEL_EXPERIMENTAL_CONFIG_FILE: minimal })
  assert.deepEqual(old.config.configFile, { value: minimal, source: 'env', env: 'OTEL_EXPERIMENTAL_CONFIG_FILE' })
  assert.equal(old.config.serviceName.value, 'from-file')
  const both = resolveSdkConfig({}, { OTEL_CONFIG_FILE: minimal, OTEL_EXPERIMENTAL_CONFIG_FILE: '/nowhere.yaml' })
  assert.equal(both.config.configFile.env, 'OTEL_CONFIG_FILE')
  assert.deepEqual(both.ignoredEnv, [{
    name: 'OTEL_EXPERIMENTAL_CONFIG_FILE',
    reason: 'OTEL_CONFIG_FILE is ' +
    'set too, and wins'
  }])
})

test('a file that cannot be used is FOK_ERR_CONFIG_FILE, saying where and why, never what the file ' +
  'holds', async (t) => {
  const secret = 'c2VjcmV0LXRva2Vu'
  const cases = [
    ['a file that is not there', '/no/such/otel.yaml', /the file cannot be read \(ENOENT\)/],
    [
      'broken YAML (the line holds a credential)',
      configFile(t, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        exporter:\n  ' +
        `        otlp_http:\n            headers_list: "authorization=Basic ${secret}\n`),
      /it is not valid YAML: MISSING_CHAR at line \d+, column \d+/
    ],
    [
      'a key twice',
      configFile(t, 'file_format: "1.0"\ndisabled: false\ndisabled: true\n'),
      /it is not valid YAML: DUPLICATE_KEY at line 3, column 1/
    ],
    [
      'a value of the wrong type',
      configFile(t, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        exporter:\n  ' +
        `        otlp_http:\n            endpoint: 4318\n            headers_list: "authorization=Basic ${secret}"\n`),
      /it does not follow the file format: \/tracer_provider\/processors\/0\/batch\/exporter\/otlp_http\/endpoint must be string,null/
    ],
    [
      'a misspelt key: the object that has it, and its keys, so the misspelt one shows',
      configFile(t, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        schedul_delay: 100\n' +
        '        exporter:\n          console:\n'),
      /\/tracer_provider\/processors\/0\/batch must NOT have additional properties \(it has: schedul_delay, exporter\)/
    ],
    ['a file format this package cannot read', configFile(t, 'file_format: "2.0"\n'), /Unsupported file_format: "2\.0"/],
    ['no file format', configFile(t, 'disabled: false\n'), /Unsupported file_format/],
    [
      'an exporter this package has not got',
      configFile(t, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        exporter:\n  ' +
        '        otlp_file/development:\n            output_stream: stdout\n'),
      /\.tracer_provider\.processors\[0\]\.batch\.exporter: exporter "otlp_file\/development" is not supported by this package/
    ],
    [
      'two processors',
      configFile(t, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        exporter:\n  ' +
        '        console:\n    - simple:\n        exporter:\n          console:\n'),
      /\.tracer_provider\.processors has 2 processors; this package runs one per signal/
    ],
    [
      'a relative TLS file',
      configFile(t, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        exporter:\n  ' +
        '        otlp_grpc:\n            tls:\n              ca_file: certs/ca.pem\n'),
      /\.tracer_provider\.processors\[0\]\.batch\.exporter\.otlp_grpc\.tls\.ca_file must be an absolute path/
    ],
    [
      'a propagator this package has not got',
      configFile(t, 'file_format: "1.0"\npropagator:\n  composite_list: tracecontext,xray\n'),
      /\.propagator\.composite_list: propagator "xray" is not supported by this package/
    ],
    [
      'a sampler this package has not got by name',
      configFile(t, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        exporter:\n  ' +
        '        console:\n  sampler:\n    parent_based:\n      remote_parent_not_sampled:\n        always_on:\n'),
      /\.tracer_provider\.sampler\.parent_based\.remote_parent_not_sampled: "always_on" \(only always_off, the default\) is not supported by this package; leave the sampler out of the file and pass a Sampler instance as option sampler/
    ]
  ]
  for (const [what, file, reason] of cases) {
    const error = errorOf(() => resolveSdkConfig({}, { OTEL_CONFIG_FILE: file }))
    assert.equal(error.code, 'FOK_ERR_CONFIG_FILE', `${what}: ${error.stack}`)
    assert.ok(error instanceof TypeError, what)
    assert.ok(error.message.startsWith(`fastify-otel-kit: OTEL_CONFIG_FILE=${JSON.stringify(file)}: ` +
      ''), `${what}: ${error.message}`)
    assert.match(error.message, reason, what)
    assert.match(error.message, /fix the file \(docs\/reference\/configuration-file\.md\), or unset OTEL_CONFIG_FILE\.$/, what)
    assert.ok(!error.message.includes(secret), `${what}: ${error.message}`)
  }
})

/** `${name}` as the file format writes a reference (built, so that no string here looks like a template). */
const ref = (name) => '$' + `{${name}}`

test(`a ${ref('NAME')} without a default whose variable is not set is named (it stands for an empty value: a ` +
  'credential forgotten at deploy time); one with a default, a set one and one in a comment are not', (t) => {
  process.env.TEST_SET_TOKEN = 'set-SECRET'
  t.after(() => {
    delete process.env.TEST_SET_TOKEN
  })
  const file = configFile(t, [
    'file_format: "1.0"',
    `# an old line: ${ref('TEST_COMMENTED_OUT')}`,
    'tracer_provider:',
    '  processors:',
    '    - batch:',
    '        exporter:',
    '          otlp_http:',
    `            endpoint: ${ref('TEST_ENDPOINT:-http://collector.example:4318/v1/traces')}`,
    '            headers:',
    '              - name: authorization',
    `                value: Bearer ${ref('TEST_UNSET_TOKEN')}`,
    '              - name: x-tenant',
    `                value: ${ref('env:TEST_SET_TOKEN')}`,
    ''
  ].join('\n'))
  const { warnings } = resolveSdkConfig({}, { OTEL_CONFIG_FILE: file })
  const named = warnings.filter((w) => w.includes('without a default'))
  assert.equal(named.length, 1, warnings.join('\n'))
  assert.match(named[0], /refers to \$\{TEST_UNSET_TOKEN\} without a default, and that variable is not set/)
  assert.ok(!named[0].includes('TEST_COMMENTED_OUT') && !named[0].includes('SECRET'), named[0])
})

test("a TLS file the configuration file names and that cannot be read: the error names the file's place, not " +
  'an option the user never wrote', async (t) => {
  const { readTlsFiles, tlsPairProblem } = await import('../../dist/sdk/export/tls-files.js')
  const file = configFile(t, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n' +
    '        exporter:\n          otlp_grpc:\n            endpoint: https://collector:4317\n            tls:\n' +
    '              ca_file: /nonexistent/ca.pem\n')
  const { config } = resolveSdkConfig({}, { OTEL_CONFIG_FILE: file })
  assert.equal(config.exporter.certificateFile.source, 'file')
  const error = errorOf(() => readTlsFiles(config.exporter, () => {}, tlsPairProblem))
  assert.equal(error.code, 'FOK_ERR_TLS_FILE')
  assert.match(
    error.message,
    /the configuration file's \.tracer_provider\.processors\[0\]\.batch\.exporter\.otlp_grpc\.tls\.ca_file names "\/nonexistent\/ca\.pem", which cannot be read \(ENOENT\)/
  )
  assert.doesNotMatch(error.message, /option "exporter/)
})
