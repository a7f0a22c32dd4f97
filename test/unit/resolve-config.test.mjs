// Configuration resolution (sdk/config/resolve-config.ts, resolveSdkConfig(options, env)) with an
// environment object of the test's own: environment > options > defaults with the source of every
// value, coded errors for bad options, warnings that name a bad variable and fall back, secrets
// never shown, the span count limits and the batch presets with their limits.
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { resolveSdkConfig } from '../../dist/sdk/config/resolve-config.js'

const resolve = (options, env = {}) => resolveSdkConfig(options, env)
const plain = (setting) => ({ ...setting })

/** Asserts `fn` throws the package's configuration error with `code`, and returns its message. */
function throwsCoded (fn, code, pattern) {
  let message
  assert.throws(fn, (error) => {
    assert.ok(error instanceof TypeError, `${error}`)
    assert.equal(error.name, 'OtelKitConfigError')
    assert.equal(error.code, code, error.message)
    if (pattern !== undefined) assert.match(error.message, pattern)
    message = error.message
    return true
  })
  return message
}

describe('precedence: environment > options > defaults, with the source of each value', () => {
  // [what, read from the config, [options, the value they give], [variable, the value it gives], default]
  const CASES = [
    ['serviceName', (c) => c.serviceName,
      [{ serviceName: 'from-options' }, 'from-options'],
      [{ OTEL_SERVICE_NAME: 'from-env' }, 'from-env'], 'unknown_service:node'],
    ['sampler', (c) => c.sampler,
      [{ sampler: 'always_off' }, 'always_off'],
      [{ OTEL_TRACES_SAMPLER: 'TraceIdRatio' }, 'traceidratio'], 'parentbased_always_on'],
    ['samplingRatio', (c) => c.samplingRatio,
      [{ sampler: 'traceidratio', samplingRatio: 0.5 }, 0.5],
      [{ OTEL_TRACES_SAMPLER_ARG: '0.25' }, 0.25], 1],
    ['exporter.endpoint', (c) => c.exporter.endpoint,
      [{ exporter: { endpoint: 'http://options:4318' } }, 'http://options:4318/v1/traces'],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' }, 'http://env:4318/v1/traces'], 'http://localhost:4318/v1/traces'],
    ['exporter.protocol', (c) => c.exporter.protocol,
      [{ exporter: { protocol: 'grpc' } }, 'grpc'],
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'http/json'], 'http/protobuf'],
    ['exporter.timeoutMillis', (c) => c.exporter.timeoutMillis,
      [{ exporter: { timeoutMillis: 2000 } }, 2000],
      [{ OTEL_EXPORTER_OTLP_TIMEOUT: '3000' }, 3000], 10000],
    ['exporter.compression', (c) => c.exporter.compression,
      [{ exporter: { compression: 'gzip' } }, 'gzip'],
      [{ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none' }, 'none'], 'none'],
    ['batch.maxQueueSize', (c) => c.batch.maxQueueSize,
      [{ batch: { maxQueueSize: 4096 } }, 4096],
      [{ OTEL_BSP_MAX_QUEUE_SIZE: '1024' }, 1024], 2048],
    ['batch.exportTimeoutMillis', (c) => c.batch.exportTimeoutMillis,
      [{ batch: { exportTimeoutMillis: 1000 } }, 1000],
      [{ OTEL_BSP_EXPORT_TIMEOUT: '2000' }, 2000], 30000],
    ['propagators', (c) => c.propagators,
      [{ propagators: ['b3'] }, ['b3']],
      [{ OTEL_PROPAGATORS: 'tracecontext,baggage' }, ['tracecontext', 'baggage']],
      ['tracecontext', 'baggage', 'b3multi']],
    ['attributeValueLengthLimit', (c) => c.attributeValueLengthLimit,
      [{ attributeValueLengthLimit: 100 }, 100],
      [{ OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '200' }, 200], 4096],
    ['logs.enabled', (c) => c.logs.enabled,
      [{ logs: false }, false],
      [{ OTEL_LOGS_EXPORTER: 'otlp' }, true], false],
    ['logs.batch.scheduledDelayMillis', (c) => c.logs.batch.scheduledDelayMillis,
      [{ logs: { batch: { scheduledDelayMillis: 200 } } }, 200],
      [{ OTEL_BLRP_SCHEDULE_DELAY: '300' }, 300], 1000]
  ]

  for (const [name, read, [options, optionValue], [env, envValue], fallback] of CASES) {
    const envName = Object.keys(env)[0]
    test(name, () => {
      assert.deepEqual(plain(read(resolve({}).config)), { value: fallback, source: 'default' })
      assert.deepEqual(plain(read(resolve(options).config)), { value: optionValue, source: 'options' })
      assert.deepEqual(plain(read(resolve({}, env).config)), { value: envValue, source: 'env', env: envName })
      const both = resolve(options, env)
      assert.deepEqual(plain(read(both.config)), { value: envValue, source: 'env', env: envName })
      const override = both.warnings.filter((w) => w.startsWith(`${envName} overrides option`))
      assert.equal(override.length, 1, `one override notice naming ${envName}: ${both.warnings.join(' | ')}`)
    })
  }

  test("a signal's own variable wins over the general one", () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/v1/traces'
    }
    assert.deepEqual(plain(resolve({}, env).config.exporter.endpoint), {
      value: 'http://traces:4318/v1/traces',
      source: 'env',
      env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
    })
    const logs = resolve({ logs: true }, { ...env, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:4318/v1/logs' }).config.logs
    assert.equal(logs.exporter.endpoint.value, 'http://logs:4318/v1/logs')
  })

  test('an environment value equal to the option is no override: no notice', () => {
    const { warnings } = resolve({ serviceName: 'same' }, { OTEL_SERVICE_NAME: 'same' })
    assert.deepEqual(warnings.filter((w) => w.includes('overrides')), [])
  })

  test('blank variables count as unset', () => {
    const env = { OTEL_SERVICE_NAME: '  ', OTEL_BSP_MAX_QUEUE_SIZE: '' }
    const { config, warnings } = resolve({ serviceName: 'svc' }, env)
    assert.deepEqual(plain(config.serviceName), { value: 'svc', source: 'options' })
    assert.equal(config.batch.maxQueueSize.source, 'default')
    assert.deepEqual(warnings, [])
  })
})

describe('bad options: coded errors at once', () => {
  const CASES = [
    ['not an object', ['a'], 'FOK_ERR_INVALID_OPTION', /option "options" must be an object; received an array of 1/],
    ['an unknown key, with the closest one', { servicename: 'x' }, 'FOK_ERR_UNKNOWN_OPTION', /unknown option "servicename"\. Did you mean "serviceName"\?/],
    ['an unknown nested key', { exporter: { endpont: 'x' } }, 'FOK_ERR_UNKNOWN_OPTION', /"exporter\.endpont".*"exporter\.endpoint"/],
    ['serviceName of the wrong type', { serviceName: 42 }, 'FOK_ERR_INVALID_OPTION', /"serviceName" must be a non-empty string; received 42 \(number\)/],
    ['a sampler nobody knows', { sampler: 'sometimes' }, 'FOK_ERR_INVALID_OPTION', /"sampler" must be one of/],
    ['a ratio above 1', { samplingRatio: 1.5 }, 'FOK_ERR_INVALID_OPTION', /"samplingRatio" must be a number from 0 to 1/],
    ['a batch preset nobody knows', { batch: 'huge' }, 'FOK_ERR_INVALID_OPTION', /"batch" must be one of/],
    ['a zero queue', { batch: { maxQueueSize: 0 } }, 'FOK_ERR_INVALID_OPTION', /"batch\.maxQueueSize" must be a positive integer/],
    ['a batch larger than its queue', { batch: { maxQueueSize: 100, maxExportBatchSize: 200 } }, 'FOK_ERR_BATCH_LIMITS', /batch\.maxExportBatchSize \(200\) cannot be larger than batch\.maxQueueSize \(100\)/],
    ['a log batch larger than its queue', { logs: { batch: { maxQueueSize: 10, maxExportBatchSize: 20 } } }, 'FOK_ERR_BATCH_LIMITS', /logs\.batch\.maxExportBatchSize \(20\)/],
    ['propagator and propagators', { propagator: { inject () {}, extract () {}, fields: () => [] }, propagators: ['b3'] }, 'FOK_ERR_CONFLICTING_OPTIONS', /either option propagator/],
    ['"none" with other propagators', { propagators: ['none', 'b3'] }, 'FOK_ERR_INVALID_OPTION', /"propagators" must be \["none"\] alone/],
    ['an endpoint that is not a URL', { exporter: { endpoint: 'collector:4318' } }, 'FOK_ERR_INVALID_OPTION', /"exporter\.endpoint" must be an http:\/\/ or https:\/\/ URL \(the protocol is http\/protobuf\)/],
    ['insecure with an https endpoint', { exporter: { protocol: 'grpc', endpoint: 'https://c:4317', insecure: true } }, 'FOK_ERR_CONFLICTING_OPTIONS', /uses https:\/\//],
    ['a retry that backs off to less than it starts with', { exporter: { retry: { initialBackoffMillis: 5000, maxBackoffMillis: 1000 } } }, 'FOK_ERR_CONFLICTING_OPTIONS', /maxBackoffMillis \(1000\) is smaller/],
    ['a connection header', { exporter: { headers: { connection: 'close' } } }, 'FOK_ERR_INVALID_OPTION', /HTTP\/2 forbids/],
    ['logs of the wrong type', { logs: 'yes' }, 'FOK_ERR_INVALID_OPTION', /"logs" must be true, false or an object/],
    ['a resource attribute of the wrong type', { resourceAttributes: { team: { nested: true } } }, 'FOK_ERR_INVALID_OPTION', /"resourceAttributes\.team"/]
  ]
  for (const [name, options, code, pattern] of CASES) {
    test(name, () => throwsCoded(() => resolve(options), code, pattern))
  }

  test('a bad header value is refused without being shown', () => {
    const message = throwsCoded(
      () => resolve({ exporter: { headers: { authorization: 'Bearer top-secret\n' } } }),
      'FOK_ERR_INVALID_OPTION',
      /"exporter\.headers\.authorization" must be a string of printable ASCII characters; received a string with other characters \(not shown\)/
    )
    assert.doesNotMatch(message, /top-secret/)
  })

  test('an environment value never makes resolution throw, even where the same option would', () => {
    assert.doesNotThrow(() =>
      resolve({}, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4317',
        OTEL_EXPORTER_OTLP_INSECURE: 'true',
        OTEL_BSP_MAX_QUEUE_SIZE: '10',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20',
        OTEL_EXPORTER_OTLP_HEADERS: 'connection=close'
      })
    )
  })
})

describe('bad environment values: warned about by name, then the next source applies', () => {
  const DEFAULT_SAMPLER = 'parentbased_always_on'
  const DEFAULT_PROPAGATORS = ['tracecontext', 'baggage', 'b3multi']
  const CASES = [
    ['OTEL_BSP_MAX_QUEUE_SIZE', 'lots', (c) => c.batch.maxQueueSize, { batch: { maxQueueSize: 300 } }, 300, 2048],
    ['OTEL_TRACES_SAMPLER', 'sometimes', (c) => c.sampler, { sampler: 'always_on' }, 'always_on', DEFAULT_SAMPLER],
    ['OTEL_TRACES_SAMPLER', 'xray', (c) => c.sampler, { sampler: 'always_on' }, 'always_on', DEFAULT_SAMPLER],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5', (c) => c.samplingRatio, { samplingRatio: 0.1, sampler: 'traceidratio' }, 0.1, 1],
    ['OTEL_SDK_DISABLED', 'maybe', (c) => c.disabled, undefined, undefined, false],
    ['OTEL_PROPAGATORS', 'xray,jaeger', (c) => c.propagators, { propagators: ['b3'] }, ['b3'], DEFAULT_PROPAGATORS],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', '-5', (c) => c.exporter.timeoutMillis, { exporter: { timeoutMillis: 5 } }, 5, 10000],
    ['OTEL_EXPORTER_OTLP_COMPRESSION', 'brotli', (c) => c.exporter.compression, undefined, undefined, 'none'],
    ['OTEL_SPAN_EVENT_COUNT_LIMIT', '-1', (c) => c.spanLimits.eventCountLimit, undefined, undefined, 128],
    ['OTEL_TRACES_EXPORTER', 'zipkin', (c) => c.exporter.kind, undefined, undefined, 'otlp']
  ]
  for (const [name, raw, read, options, optionValue, fallback] of CASES) {
    test(`${name}=${raw}`, () => {
      const alone = resolve({}, { [name]: raw })
      assert.deepEqual(plain(read(alone.config)), { value: fallback, source: 'default' })
      const warning = alone.warnings.find((w) => w.startsWith(`${name}=${JSON.stringify(raw)} is invalid`))
      assert.ok(warning, `a warning naming ${name}: ${alone.warnings.join(' | ')}`)
      assert.match(warning, /ignoring it and using .* from the default\.$/)
      if (options !== undefined) {
        const withOption = resolve(options, { [name]: raw })
        assert.deepEqual(plain(read(withOption.config)), { value: optionValue, source: 'options' })
        assert.ok(withOption.warnings.some((w) => w.startsWith(`${name}=`) && w.endsWith('from the plugin options.')))
      }
    })
  }

  test('a bad span-specific variable falls back to the general one, with a warning for the bad one', () => {
    const { config, warnings } = resolve({}, {
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: 'long',
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '512'
    })
    assert.deepEqual(plain(config.attributeValueLengthLimit), {
      value: 512,
      source: 'env',
      env: 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'
    })
    const warning = warnings.find((w) => w.startsWith('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT="long" is invalid'))
    assert.match(warning, /using 512 from OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT\.$/)
  })

  test('OTEL_PROPAGATORS with some unknown entries: those are skipped with a warning, the others apply', () => {
    const { config, warnings } = resolve({}, { OTEL_PROPAGATORS: 'tracecontext,xray,b3' })
    assert.deepEqual(config.propagators.value, ['tracecontext', 'b3'])
    assert.ok(warnings.some((w) => /^OTEL_PROPAGATORS names "xray", which this package does not support/.test(w)))
  })

  test('a list variable with bad members: the others apply, the warning gives positions, never text', () => {
    const env = { OTEL_EXPORTER_OTLP_HEADERS: 'api-key=fine,secret-without-equals,x=%zz,bad name=v' }
    const { exporterHeaders, warnings } = resolve({ serviceName: 'svc' }, env)
    assert.deepEqual(exporterHeaders, { 'api-key': 'fine' })
    assert.deepEqual(warnings, [
      'OTEL_EXPORTER_OTLP_HEADERS: skipping member 2 (not key=value), member 3 (invalid percent-encoding), ' +
        'member 4 (not a valid header name); the other member is applied. Member text is never shown.'
    ])
  })
})

describe('secrets', () => {
  const SECRETS = ['opt-secret', 'env-secret', 'logs-secret', 'url-password']

  function assertNoSecret (resolution) {
    const shown = JSON.stringify(resolution.config) + '\n' + resolution.warnings.join('\n')
    for (const secret of SECRETS) assert.doesNotMatch(shown, new RegExp(secret), `${secret} shown`)
  }

  test('header values are redacted in the resolved config and in override notices; the exporter gets them', () => {
    const resolution = resolve(
      { exporter: { headers: { authorization: 'Bearer opt-secret', 'x-team': 'a' } }, logs: true },
      {
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20env-secret',
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-logs-key=logs-secret'
      }
    )
    assert.deepEqual(plain(resolution.config.exporter.headers), {
      value: { authorization: '[REDACTED]', 'x-team': '[REDACTED]' },
      source: 'env',
      env: 'OTEL_EXPORTER_OTLP_HEADERS'
    })
    assert.deepEqual(resolution.exporterHeaders, { authorization: 'Bearer env-secret', 'x-team': 'a' })
    assert.deepEqual(resolution.logExporterHeaders, {
      authorization: 'Bearer env-secret',
      'x-team': 'a',
      'x-logs-key': 'logs-secret'
    })
    assert.deepEqual(resolution.config.logs.exporter.headers.value, {
      authorization: '[REDACTED]',
      'x-team': '[REDACTED]',
      'x-logs-key': '[REDACTED]'
    })
    assert.ok(
      resolution.warnings.includes(
        'OTEL_EXPORTER_OTLP_HEADERS overrides option exporter.headers["authorization"]: using [REDACTED] from the ' +
          'environment instead of [REDACTED] from the plugin options.'
      ),
      resolution.warnings.join(' | ')
    )
    assertNoSecret(resolution)
  })

  test('an unusable endpoint variable is not replaced by the option or the default: export off, the value not ' +
    'shown', () => {
    const resolution = resolve(
      { exporter: { endpoint: 'http://c:4318' } },
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://user:url-password@collector:21' }
    )
    assert.deepEqual(
      plain(resolution.config.exporter.kind),
      { value: 'none', source: 'env', env: 'OTEL_EXPORTER_OTLP_ENDPOINT' }
    )
    assert.ok(
      resolution.codedWarnings.some((w) => w.message.startsWith('OTEL_EXPORTER_OTLP_ENDPOINT is not a usable ' +
        'endpoint for http/protobuf'))
    )
    assertNoSecret(resolution)
    assert.doesNotMatch(resolution.codedWarnings.map((w) => w.message).join('\n'), /url-password|collector:21/)
  })

  test('credentials written into an endpoint are not shown in warnings', () => {
    const override = resolve(
      { exporter: { endpoint: 'http://c:4318' } },
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:url-password@collector:4318' }
    )
    assert.ok(override.warnings.some((w) => w.includes('"https://[REDACTED]@collector:4318/v1/traces" from the environment')))
    assert.doesNotMatch(override.warnings.join('\n'), /url-password/)
  })
})

describe('span count limits', () => {
  const LIMITS = [
    ['attributeCountLimit', ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT']],
    ['eventCountLimit', ['OTEL_SPAN_EVENT_COUNT_LIMIT']],
    ['linkCountLimit', ['OTEL_SPAN_LINK_COUNT_LIMIT']],
    ['attributePerEventCountLimit', ['OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', 'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT']],
    ['attributePerLinkCountLimit', ['OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT']]
  ]

  test('128 each by default', () => {
    const { spanLimits } = resolve({}).config
    for (const [key] of LIMITS) assert.deepEqual(plain(spanLimits[key]), { value: 128, source: 'default' })
  })

  for (const [key, names] of LIMITS) {
    test(`${key}: ${names.join(' before ')}; 0 is allowed; a bad value is warned about`, () => {
      for (const name of names) {
        for (const value of [0, 7]) {
          const { spanLimits } = resolve({}, { [name]: String(value) }).config
          assert.deepEqual(plain(spanLimits[key]), { value, source: 'env', env: name })
        }
      }
      if (names.length === 2) {
        const both = resolve({}, { [names[0]]: '3', [names[1]]: '4' }).config.spanLimits[key]
        assert.deepEqual(plain(both), { value: 3, source: 'env', env: names[0] })
      }
      for (const bad of ['-1', '1.5', 'none']) {
        const { config, warnings } = resolve({}, { [names[0]]: bad })
        assert.equal(config.spanLimits[key].value, 128)
        const notice = `${names[0]}=${JSON.stringify(bad)} is invalid (expected a non-negative integer)`
        assert.ok(warnings.some((w) => w.startsWith(notice)), warnings.join(' | '))
      }
    })
  }
})

describe('batch presets and their limits', () => {
  const PRESETS = {
    conservative: { maxQueueSize: 512, scheduledDelayMillis: 2000, maxExportBatchSize: 128 },
    moderate: { maxQueueSize: 2048, scheduledDelayMillis: 5000, maxExportBatchSize: 512 },
    aggressive: { maxQueueSize: 8192, scheduledDelayMillis: 10000, maxExportBatchSize: 1024 }
  }
  const values = (batch) => ({
    preset: plain(batch.preset),
    maxQueueSize: plain(batch.maxQueueSize),
    scheduledDelayMillis: plain(batch.scheduledDelayMillis),
    maxExportBatchSize: plain(batch.maxExportBatchSize),
    exportTimeoutMillis: plain(batch.exportTimeoutMillis)
  })
  const from = (source, value) => ({ value, source })

  test('moderate by default', () => {
    assert.deepEqual(values(resolve({}).config.batch), {
      preset: from('default', 'moderate'),
      maxQueueSize: from('default', 2048),
      scheduledDelayMillis: from('default', 5000),
      maxExportBatchSize: from('default', 512),
      exportTimeoutMillis: from('default', 30000)
    })
  })

  for (const [name, preset] of Object.entries(PRESETS)) {
    test(`${name}, by name and as { preset }`, () => {
      for (const batch of [name, { preset: name }]) {
        assert.deepEqual(values(resolve({ batch }).config.batch), {
          preset: from('options', name),
          maxQueueSize: from('options', preset.maxQueueSize),
          scheduledDelayMillis: from('options', preset.scheduledDelayMillis),
          maxExportBatchSize: from('options', preset.maxExportBatchSize),
          exportTimeoutMillis: from('default', 30000)
        })
      }
    })
  }

  test('a value written or read from the environment makes the batch custom; the others keep the preset', () => {
    const { batch } = resolve({ batch: { preset: 'aggressive', scheduledDelayMillis: 100 } }).config
    assert.equal(batch.maxQueueSize.value, 8192)
    assert.equal(batch.maxExportBatchSize.value, 1024)
    assert.equal(batch.scheduledDelayMillis.value, 100)
    const alone = resolve({ batch: { scheduledDelayMillis: 100 } }).config.batch
    assert.deepEqual(plain(alone.preset), from('options', 'custom'))
    const fromEnv = resolve({ batch: 'conservative' }, { OTEL_BSP_SCHEDULE_DELAY: '10' }).config.batch
    assert.equal(fromEnv.preset.value, 'custom')
    assert.deepEqual(plain(fromEnv.scheduledDelayMillis), { value: 10, source: 'env', env: 'OTEL_BSP_SCHEDULE_DELAY' })
  })

  test(
    'a preset written with one of its values changed is custom too',
    () => {
      const { batch } = resolve({ batch: { preset: 'aggressive', scheduledDelayMillis: 100 } }).config
      assert.deepEqual(plain(batch.preset), from('options', 'custom'))
    }
  )

  test("a preset's batch size above a smaller queue is the queue's size, silently", () => {
    const { config, warnings } = resolve({ batch: { preset: 'aggressive', maxQueueSize: 100 } })
    assert.deepEqual(plain(config.batch.maxExportBatchSize), { value: 100, source: 'options' })
    assert.deepEqual(warnings.filter((w) => w.includes('maxExportBatchSize')), [])
  })

  test('from the environment, a batch size above the queue is clamped to it, with a notice', () => {
    const { config, warnings } = resolve({}, { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4096' })
    assert.deepEqual(plain(config.batch.maxExportBatchSize), {
      value: 2048,
      source: 'env',
      env: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'
    })
    const notice =
      'batch.maxExportBatchSize 4096 (OTEL_BSP_MAX_EXPORT_BATCH_SIZE) is larger than batch.maxQueueSize 2048 ' +
      "(the default); using 2048, the queue's size, as the batch size."
    assert.ok(warnings.includes(notice), warnings.join(' | '))
    const logs = resolve({ logs: true }, { OTEL_BLRP_MAX_QUEUE_SIZE: '64' })
    assert.equal(logs.config.logs.batch.maxExportBatchSize.value, 64)
  })

  // Any mix of preset, options and variables (valid or not): the resolved batch size never exceeds the
  // queue, every value is a positive integer, a valid variable is always the source, and the only
  // error is a batch size written above a queue size written, both in the options.
  test('for any mix of preset, options and variables, maxExportBatchSize <= maxQueueSize', () => {
    const size = fc.integer({ min: 1, max: 10_000 })
    const variable = fc.option(fc.oneof(size.map(String), fc.constantFrom('0', '-3', 'x', '1e3', ' 12 ')), {
      nil: undefined
    })
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom('conservative', 'moderate', 'aggressive'), { nil: undefined }),
        fc.option(size, { nil: undefined }),
        fc.option(size, { nil: undefined }),
        variable,
        variable,
        fc.boolean(),
        (preset, queue, batchSize, queueVar, batchVar, forLogs) => {
          const settings = {
            ...(queue === undefined ? {} : { maxQueueSize: queue }),
            ...(batchSize === undefined ? {} : { maxExportBatchSize: batchSize })
          }
          const options = forLogs
            ? { logs: { batch: settings } }
            : { batch: { ...(preset === undefined ? {} : { preset }), ...settings } }
          const [queueName, batchName] = forLogs
            ? ['OTEL_BLRP_MAX_QUEUE_SIZE', 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE']
            : ['OTEL_BSP_MAX_QUEUE_SIZE', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE']
          const env = {
            ...(queueVar === undefined ? {} : { [queueName]: queueVar }),
            ...(batchVar === undefined ? {} : { [batchName]: batchVar })
          }
          const valid = (raw) => raw !== undefined && /^\d+$/.test(raw.trim()) && Number(raw) > 0
          let resolution
          try {
            resolution = resolve(options, env)
          } catch (error) {
            assert.equal(error.code, 'FOK_ERR_BATCH_LIMITS', error.message)
            const written = batchSize !== undefined && !valid(batchVar) && !valid(queueVar)
            assert.ok(written, 'only a batch size written above the queue')
            return
          }
          const batch = forLogs ? resolution.config.logs.batch : resolution.config.batch
          assert.ok(batch.maxExportBatchSize.value <= batch.maxQueueSize.value)
          for (const key of ['maxQueueSize', 'maxExportBatchSize', 'scheduledDelayMillis', 'exportTimeoutMillis']) {
            assert.ok(Number.isSafeInteger(batch[key].value) && batch[key].value > 0, key)
          }
          assert.equal(batch.maxQueueSize.source === 'env', valid(queueVar))
          if (valid(batchVar)) assert.equal(batch.maxExportBatchSize.source, 'env')
          if (valid(queueVar)) assert.equal(batch.maxQueueSize.value, Number(queueVar.trim()))
        }
      ),
      { numRuns: 400 }
    )
  })
})

describe('OTEL_EXPORTER_OTLP_HEADERS sent to more than one place is said, naming each place, never the value', () => {
  const SECRET = 'Bearer%20shared-SECRET'
  const sharedNotice = (warnings) => warnings.filter((w) => w.startsWith('OTEL_EXPORTER_OTLP_HEADERS is sent'))

  test('one signal moved by its own endpoint variable, the others left at the options: said once', () => {
    const { warnings } = resolve(
      { exporter: { endpoint: 'http://localhost:4318' }, logs: true },
      {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://user:pw@backend.example.com/v1/traces',
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=${SECRET}`
      }
    )
    const notices = sharedNotice(warnings)
    assert.equal(notices.length, 1, warnings.join('\n'))
    assert.match(notices[0], /traces to https:\/\/backend\.example\.com \(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT\)/)
    assert.match(notices[0], /logs and metrics to http:\/\/localhost:4318 \(the plugin options\)/)
    assert.ok(!notices[0].includes('SECRET') && !notices[0].includes('pw'), notices[0])
  })

  test('every signal to one origin, or the general headers replaced where the signals part: nothing said', () => {
    const oneOrigin = resolve({ logs: true }, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gateway.example.com',
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=${SECRET}`
    })
    assert.deepEqual(sharedNotice(oneOrigin.warnings), [])
    const replaced = resolve({ exporter: { endpoint: 'http://localhost:4318' }, logs: true, metrics: false }, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://backend.example.com/v1/traces',
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=${SECRET}`,
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'authorization=local'
    })
    assert.deepEqual(sharedNotice(replaced.warnings), [])
    const noHeaders = resolve({ exporter: { endpoint: 'http://localhost:4318' } }, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://backend.example.com/v1/traces'
    })
    assert.deepEqual(sharedNotice(noHeaders.warnings), [])
  })

  test('one place written two ways (default port, a gRPC host:port without a scheme) is one place; ' +
    'a member that is never sent is not counted', () => {
    const grpc = { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_HEADERS: `authorization=${SECRET}` }
    const secure = resolve({ logs: true, metrics: false }, {
      ...grpc,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example.com',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'collector.example.com:443'
    })
    assert.deepEqual(sharedNotice(secure.warnings), [])
    const plaintext = resolve({ logs: true, metrics: false }, {
      ...grpc,
      OTEL_EXPORTER_OTLP_INSECURE: 'true',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4317',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'collector:4317'
    })
    assert.deepEqual(sharedNotice(plaintext.warnings), [])
    const neverSent = resolve({ exporter: { endpoint: 'http://localhost:4318' }, logs: true }, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://backend.example.com/v1/traces',
      OTEL_EXPORTER_OTLP_HEADERS: 'connection=close'
    })
    assert.deepEqual(sharedNotice(neverSent.warnings), [])
  })
})

test('OTEL_TRACES_SAMPLER_ARG beside a sampler that takes no ratio is named as not acted on; with a ratio ' +
  'sampler it is used', () => {
  const alone = resolve({}, { OTEL_TRACES_SAMPLER_ARG: '0.01' })
  assert.deepEqual(alone.ignoredEnv.map((v) => v.name), ['OTEL_TRACES_SAMPLER_ARG'])
  assert.match(alone.ignoredEnv[0].reason, /parentbased_always_on\) takes no ratio: set OTEL_TRACES_SAMPLER=/)
  assert.ok(!alone.ignoredEnv[0].reason.includes('0.01'))
  const alwaysOn = resolve({}, { OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: '0.1' })
  assert.deepEqual(alwaysOn.ignoredEnv.map((v) => v.name), ['OTEL_TRACES_SAMPLER_ARG'])
  const ratio = resolve({}, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' })
  assert.deepEqual(ratio.ignoredEnv, [])
  assert.equal(ratio.config.samplingRatio.value, 0.1)
})

test('a variable that overrides a value of the preset the options chose is warned about, as one that ' +
  'overrides a value written in the options is; over the default preset it is not', () => {
  const chosen = resolve({ batch: 'aggressive' }, { OTEL_BSP_MAX_QUEUE_SIZE: '100' })
  assert.ok(chosen.warnings.includes(
    'OTEL_BSP_MAX_QUEUE_SIZE overrides option batch.maxQueueSize: using 100 from the environment instead of 8192 ' +
      'from the plugin options.'
  ), chosen.warnings.join('\n'))
  // Custom because of the variable: the table says where the change came from.
  assert.deepEqual(chosen.config.batch.preset, { value: 'custom', source: 'env', env: 'OTEL_BSP_MAX_QUEUE_SIZE' })
  const byDefault = resolve({}, { OTEL_BSP_MAX_QUEUE_SIZE: '4096' })
  assert.deepEqual(byDefault.warnings.filter((w) => w.includes('overrides option')), [])
})

describe("each signal's own OTLP settings: its variable or option sets it for that signal alone", () => {
  const SIGNALS = [
    ['TRACES', 'traces', (c) => c.exporter],
    ['LOGS', 'logs', (c) => c.logs.exporter],
    ['METRICS', 'metrics', (c) => c.metrics.exporter]
  ]
  // [variable suffix, option key, the raw value, the value resolved from it]
  const SETTINGS = [
    ['PROTOCOL', 'protocol', 'grpc', 'grpc'],
    ['TIMEOUT', 'timeoutMillis', '1234', 1234],
    ['INSECURE', 'insecure', 'true', true],
    ['COMPRESSION', 'compression', 'gzip', 'gzip'],
    ['CERTIFICATE', 'certificateFile', '/etc/otel/ca.pem', '/etc/otel/ca.pem'],
    ['CLIENT_KEY', 'clientKeyFile', '/etc/otel/client.key', '/etc/otel/client.key'],
    ['CLIENT_CERTIFICATE', 'clientCertificateFile', '/etc/otel/client.pem', '/etc/otel/client.pem']
  ]
  for (const [signal, key, read] of SIGNALS) {
    for (const [suffix, option, raw, value] of SETTINGS) {
      test(`OTEL_EXPORTER_OTLP_${signal}_${suffix} and exporter.${key}.${option}`, () => {
        const variable = `OTEL_EXPORTER_OTLP_${signal}_${suffix}`
        // Logs are exported only when asked for; a TLS file wants a TLS endpoint, insecure a plaintext one.
        const endpoint = option.endsWith('File') ? 'https://collector:4318' : 'http://collector:4318'
        const base = { logs: true, exporter: { endpoint } }
        // Mutual TLS takes the key and the certificate together.
        const pair = {
          CLIENT_KEY: ['CLIENT_CERTIFICATE', 'clientCertificateFile'],
          CLIENT_CERTIFICATE: ['CLIENT_KEY', 'clientKeyFile']
        }[suffix]
        const partnerEnv =
          pair === undefined ? {} : { [`OTEL_EXPORTER_OTLP_${signal}_${pair[0]}`]: '/etc/otel/other.pem' }
        const partnerOption = pair === undefined ? {} : { [pair[1]]: '/etc/otel/other.pem' }
        const fromEnv = resolve(base, { [variable]: raw, ...partnerEnv }).config
        assert.deepEqual(plain(read(fromEnv)[option]), { value, source: 'env', env: variable })
        const typed = option === 'timeoutMillis' ? 1234 : option === 'insecure' ? true : raw
        const own = { [option]: typed, ...partnerOption }
        const fromOptions = resolve({ logs: true, exporter: { endpoint, [key]: own } }).config
        const optionSetting = { ...read(fromOptions)[option], option: undefined }
        assert.deepEqual(optionSetting, { value, source: 'options', option: undefined })
        for (const [, otherKey, readOther] of SIGNALS) {
          if (otherKey === key) continue
          assert.notEqual(readOther(fromEnv)[option].source, 'env', `${variable} reached ${otherKey}`)
          assert.notEqual(readOther(fromOptions)[option].source, 'options', `exporter.${key} reached ${otherKey}`)
        }
      })
    }
  }
})

test('log record limits: their own variables, then the general ones, then the top-level option, ' +
  'then 4096 and 128', () => {
  const limits = (options, env) => {
    const { attributeValueLengthLimit, attributeCountLimit } = resolve({ logs: true, ...options }, env).config.logs
    return [plain(attributeValueLengthLimit), plain(attributeCountLimit)]
  }
  assert.deepEqual(limits({}, {}), [{ value: 4096, source: 'default' }, { value: 128, source: 'default' }])
  assert.deepEqual(limits({ attributeValueLengthLimit: 100 }, {})[0], { value: 100, source: 'options' })
  const general = { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '300', OTEL_ATTRIBUTE_COUNT_LIMIT: '20' }
  assert.deepEqual(limits({}, general), [
    { value: 300, source: 'env', env: 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT' },
    { value: 20, source: 'env', env: 'OTEL_ATTRIBUTE_COUNT_LIMIT' }
  ])
  const own = {
    ...general,
    OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT: '50',
    OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: '5'
  }
  assert.deepEqual(limits({}, own), [
    { value: 50, source: 'env', env: 'OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT' },
    { value: 5, source: 'env', env: 'OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT' }
  ])
})

test('the documented defaults of the log queue and of the shutdown bound', () => {
  const { config } = resolve({ logs: true })
  const { maxQueueSize, scheduledDelayMillis, maxExportBatchSize, exportTimeoutMillis, maxQueueBytes } =
    config.logs.batch
  assert.deepEqual(
    [maxQueueSize, scheduledDelayMillis, maxExportBatchSize, exportTimeoutMillis, maxQueueBytes].map((s) => s.value),
    [2048, 1000, 512, 30000, 16 * 1024 * 1024]
  )
  assert.deepEqual(plain(config.logs.bodyLengthLimit), { value: 16384, source: 'default' })
  assert.deepEqual(plain(config.shutdownTimeoutMillis), { value: 5000, source: 'default' })
})
