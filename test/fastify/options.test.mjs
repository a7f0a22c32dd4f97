// Every plugin option rejects a bad value at registration with a coded error and an exact message.
import { trace } from '@opentelemetry/api'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin, { OtelKitConfigError } from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'

const P = 'fastify-otel-kit: '
const INVALID = 'FOK_ERR_INVALID_OPTION'
const CONFLICT = 'FOK_ERR_CONFLICTING_OPTIONS'

/** [option under test, options, code, exact message] */
const cases = [
  [
    'unknown key',
    { servicename: 'x' },
    'FOK_ERR_UNKNOWN_OPTION',
    'unknown option "servicename". Did you mean "serviceName"? The options are listed in the package\'s ' +
      'docs/reference/options.md.'
  ],
  [
    'serviceName',
    { serviceName: 42 },
    INVALID,
    'option "serviceName" must be a non-empty string; received 42 (number).'
  ],
  [
    'serviceVersion',
    { serviceVersion: '' },
    INVALID,
    'option "serviceVersion" must be a non-empty string; received "" (string).'
  ],
  [
    'deploymentEnvironment',
    { deploymentEnvironment: {} },
    INVALID,
    'option "deploymentEnvironment" must be a non-empty string; received an object.'
  ],
  [
    'resourceAttributes',
    { resourceAttributes: { 'team.name': { nested: true } } },
    INVALID,
    'option "resourceAttributes.team.name" must be a string, number, boolean or an array of one of those; ' +
      'received an object.'
  ],
  [
    'sampler',
    { sampler: 'sometimes' },
    INVALID,
    'option "sampler" must be one of "always_on", "always_off", "traceidratio", "parentbased_always_on", ' +
      '"parentbased_always_off", "parentbased_traceidratio"; received "sometimes" (string).'
  ],
  [
    'samplingRatio',
    { samplingRatio: 1.5 },
    INVALID,
    'option "samplingRatio" must be a number from 0 to 1; received 1.5 (number).'
  ],
  [
    'exporter',
    { exporter: 'otlp' },
    INVALID,
    'option "exporter" must be an object of OTLP settings or a SpanExporter instance; received "otlp" (string).'
  ],
  [
    'exporter key',
    { exporter: { endpont: 'http://x:4317' } },
    'FOK_ERR_UNKNOWN_OPTION',
    'unknown option "exporter.endpont". Did you mean "exporter.endpoint"? The options are listed in the package\'s ' +
      'docs/reference/options.md.'
  ],
  [
    'exporter.endpoint',
    { exporter: { endpoint: 'ftp://collector:4318' } },
    INVALID,
    'option "exporter.endpoint" must be an http:// or https:// URL (the protocol is http/protobuf); received something else: scheme ftp:// is not http or https (the value is not shown: it may hold a secret).'
  ],
  [
    'exporter.endpoint without a scheme, over HTTP',
    { exporter: { endpoint: 'collector:4318' } },
    INVALID,
    'option "exporter.endpoint" must be an http:// or https:// URL (the protocol is http/protobuf); received something else: no scheme: http/protobuf needs an http:// or https:// URL (the value is not shown: it may hold a secret).'
  ],
  [
    'exporter.endpoint that is not a host, over gRPC',
    { exporter: { protocol: 'grpc', endpoint: 'NaN' } },
    INVALID,
    'option "exporter.endpoint" must be an http:// or https:// URL, or host:port; received something else: neither an http:// or https:// URL nor host:port (the value is not shown: it may hold a secret).'
  ],
  [
    'exporter.traces.endpoint',
    { exporter: { traces: { endpoint: 'https://-5/v1/traces' } } },
    INVALID,
    'option "exporter.traces.endpoint" must be an http:// or https:// URL (the protocol is http/protobuf); received something else: not a valid host name (the value is not shown: it may hold a secret).'
  ],
  [
    'exporter.protocol',
    { exporter: { protocol: 'http' } },
    INVALID,
    'option "exporter.protocol" must be one of "grpc", "http/protobuf", "http/json"; received "http" (string).'
  ],
  [
    'exporter.logs key',
    { exporter: { logs: { retry: false } } },
    'FOK_ERR_UNKNOWN_OPTION',
    'unknown option "exporter.logs.retry". The options are listed in the package\'s docs/reference/options.md.'
  ],
  [
    'exporter.headers without an endpoint',
    { exporter: { headers: { authorization: 'Basic c2VjcmV0' } } },
    CONFLICT,
    'exporter.headers are set but no endpoint is: they would be sent to the default http://localhost:4318/v1/traces. Set exporter.endpoint (or exporter.traces.endpoint) to the collector the headers are for.'
  ],
  [
    'exporter.insecure',
    { exporter: { insecure: 'yes' } },
    INVALID,
    'option "exporter.insecure" must be true or false; received "yes" (string).'
  ],
  [
    'exporter.timeoutMillis',
    { exporter: { timeoutMillis: 0 } },
    INVALID,
    'option "exporter.timeoutMillis" must be a positive integer; received 0 (number).'
  ],
  [
    'exporter.headers name',
    { exporter: { headers: { 'Bad Header': 'x' } } },
    INVALID,
    'option "exporter.headers" must be header names of letters, digits, "-", "_" or "."; ' +
      'received "Bad Header" (string).'
  ],
  [
    'exporter.headers connection header',
    { exporter: { headers: { Connection: 'close' } } },
    INVALID,
    'option "exporter.headers" must be header names gRPC can send (HTTP/2 forbids the connection headers connection, ' +
      'keep-alive, proxy-connection, transfer-encoding, upgrade, http2-settings); received "Connection" (string).'
  ],
  [
    'exporter.headers value',
    { exporter: { headers: { authorization: 'Bearer s3cret\n' } } },
    INVALID,
    'option "exporter.headers.authorization" must be a string of printable ASCII characters; ' +
      'received a string with other characters (not shown).'
  ],
  [
    'exporter.compression',
    { exporter: { compression: 'br' } },
    INVALID,
    'option "exporter.compression" must be one of "gzip", "none"; received "br" (string).'
  ],
  [
    'exporter.certificateFile',
    { exporter: { endpoint: 'https://collector:4318', certificateFile: '/nonexistent/ca.pem' } },
    'FOK_ERR_TLS_FILE',
    'option "exporter.certificateFile" names "/nonexistent/ca.pem", which cannot be read (ENOENT). ' +
      'Give the path of a readable PEM file.'
  ],
  [
    // A signal's own TLS file is named by its own option, not by the shared one.
    'exporter.traces.certificateFile',
    { exporter: { endpoint: 'https://collector:4318', traces: { certificateFile: '/nonexistent/traces-ca.pem' } } },
    'FOK_ERR_TLS_FILE',
    'option "exporter.traces.certificateFile" names "/nonexistent/traces-ca.pem", which cannot be read (ENOENT). ' +
      'Give the path of a readable PEM file.'
  ],
  [
    'exporter.clientKeyFile',
    { exporter: { endpoint: 'https://collector:4318', clientKeyFile: '/k.pem' } },
    CONFLICT,
    'mutual TLS needs both exporter.clientKeyFile and exporter.clientCertificateFile. Set both, or neither.'
  ],
  [
    'exporter https + insecure',
    { exporter: { protocol: 'grpc', endpoint: 'https://collector:4317', insecure: true } },
    CONFLICT,
    'exporter.insecure is true but the endpoint "https://collector:4317" uses https://, which always means TLS. Use an http:// endpoint for plaintext, or drop insecure.'
  ],
  [
    'exporter http + CA file',
    { exporter: { endpoint: 'http://collector:4318', certificateFile: '/ca.pem' } },
    CONFLICT,
    'a TLS file is configured (option) but the endpoint "http://collector:4318/v1/traces" is plaintext. Use an https:// endpoint for TLS.'
  ],
  [
    'batch preset',
    { batch: 'huge' },
    INVALID,
    'option "batch" must be one of "conservative", "moderate", "aggressive"; received "huge" (string).'
  ],
  [
    'batch type',
    { batch: 42 },
    INVALID,
    'option "batch" must be one of conservative, moderate, aggressive or an object of batch settings; ' +
      'received 42 (number).'
  ],
  [
    'batch.preset',
    { batch: { preset: 'fast' } },
    INVALID,
    'option "batch.preset" must be one of "conservative", "moderate", "aggressive"; received "fast" (string).'
  ],
  [
    'batch.maxQueueSize',
    { batch: { maxQueueSize: -1 } },
    INVALID,
    'option "batch.maxQueueSize" must be a positive integer; received -1 (number).'
  ],
  [
    'batch.scheduledDelayMillis',
    { batch: { scheduledDelayMillis: 0 } },
    INVALID,
    'option "batch.scheduledDelayMillis" must be a positive integer; received 0 (number).'
  ],
  [
    'batch.maxExportBatchSize',
    { batch: { maxExportBatchSize: 1.5 } },
    INVALID,
    'option "batch.maxExportBatchSize" must be a positive integer; received 1.5 (number).'
  ],
  [
    'batch.exportTimeoutMillis',
    { batch: { exportTimeoutMillis: '30s' } },
    INVALID,
    'option "batch.exportTimeoutMillis" must be a positive integer; received "30s" (string).'
  ],
  [
    'batch limits',
    { batch: { preset: 'conservative', maxExportBatchSize: 1024 } },
    'FOK_ERR_BATCH_LIMITS',
    'batch.maxExportBatchSize (1024) cannot be larger than batch.maxQueueSize (512): ' +
      'a batch is taken from the queue. Lower maxExportBatchSize or raise maxQueueSize.'
  ],
  [
    'propagators type',
    { propagators: 'tracecontext' },
    INVALID,
    'option "propagators" must be a non-empty array of "tracecontext", "baggage", "b3", "b3multi", "none"; ' +
      'received "tracecontext" (string).'
  ],
  [
    'propagators item',
    { propagators: ['tracecontext', 'w3c'] },
    INVALID,
    'option "propagators[1]" must be one of "tracecontext", "baggage", "b3", "b3multi", "none"; ' +
      'received "w3c" (string).'
  ],
  [
    'propagators none',
    { propagators: ['none', 'b3'] },
    INVALID,
    'option "propagators" must be ["none"] alone, or a list without "none"; received an array of 2.'
  ],
  [
    'propagator',
    { propagator: { inject () {} } },
    INVALID,
    'option "propagator" must be a TextMapPropagator (inject, extract and fields methods); received an object.'
  ],
  [
    'propagator + propagators',
    { propagator: { inject () {}, extract: (c) => c, fields: () => [] }, propagators: ['b3'] },
    CONFLICT,
    'set either option propagator (an instance) or propagators (names), not both.'
  ],
  ['extractOnly', { extractOnly: 1 }, INVALID, 'option "extractOnly" must be true or false; received 1 (number).'],
  [
    'traceResponseHeader',
    { traceResponseHeader: 'true' },
    INVALID,
    'option "traceResponseHeader" must be true or false; received "true" (string).'
  ],
  [
    'ignore type',
    { ignore: '/health' },
    INVALID,
    'option "ignore" must be an array of paths or a function (request) => boolean; received "/health" (string).'
  ],
  [
    'ignore item',
    { ignore: ['health'] },
    INVALID,
    'option "ignore[0]" must be a path starting with "/"; received "health" (string).'
  ],
  ['spanName', { spanName: 'GET' }, INVALID, 'option "spanName" must be a function; received "GET" (string).'],
  [
    'requestAttributes',
    { requestAttributes: {} },
    INVALID,
    'option "requestAttributes" must be a function; received an object.'
  ],
  [
    'responseAttributes',
    { responseAttributes: [] },
    INVALID,
    'option "responseAttributes" must be a function; received an array of 0.'
  ],
  [
    'captureHeaders',
    { captureHeaders: { request: 'x-id' } },
    INVALID,
    'option "captureHeaders.request" must be an array of strings; received "x-id" (string).'
  ],
  [
    'captureHeaders key',
    { captureHeaders: { req: ['x-id'] } },
    'FOK_ERR_UNKNOWN_OPTION',
    'unknown option "captureHeaders.req". Did you mean "captureHeaders.request"? The options are listed in the ' +
      'package\'s docs/reference/options.md.'
  ],
  [
    'redactQueryParams',
    { redactQueryParams: [1] },
    INVALID,
    'option "redactQueryParams[0]" must be a non-empty string; received 1 (number).'
  ],
  [
    'logCorrelation',
    { logCorrelation: 'no' },
    INVALID,
    'option "logCorrelation" must be true or false; received "no" (string).'
  ],
  [
    'handleSignals',
    { handleSignals: 'SIGTERM' },
    INVALID,
    'option "handleSignals" must be true, false or an array of signal names; received "SIGTERM" (string).'
  ],
  [
    'handleSignals item',
    { handleSignals: ['SIGKILL'] },
    INVALID,
    'option "handleSignals[0]" must be a signal name that can be caught, such as "SIGTERM"; ' +
      'received "SIGKILL" (string).'
  ],
  [
    'shutdownTimeoutMillis',
    { shutdownTimeoutMillis: -5 },
    INVALID,
    'option "shutdownTimeoutMillis" must be a positive integer; received -5 (number).'
  ]
]

for (const [option, options, code, message] of cases) {
  test(`option ${option}: rejected at registration with ${code}`, async () => {
    const app = Fastify()
    await assert.rejects(
      async () => {
        await app.register(otelPlugin, { handleSignals: false, ...options })
      },
      (error) => {
        assert.ok(error instanceof OtelKitConfigError)
        assert.ok(error instanceof TypeError)
        assert.equal(error.code, code)
        assert.equal(error.message, P + message)
        return true
      }
    )
    await app.close()
  })
}

test('a rejected registration registers nothing globally, and a valid one afterwards works', async () => {
  const rejected = Fastify()
  await assert.rejects(async () => {
    await rejected.register(otelPlugin, { batch: { maxQueueSize: 0 } })
  })
  await rejected.close()
  assert.equal(trace.getActiveSpan(), undefined)
  assert.equal(trace.getTracerProvider().getDelegate().constructor.name, 'NoopTracerProvider')

  const exporter = new InMemorySpanExporter()
  const app = Fastify()
  // lifecycleSpans off: the count is of request spans, which a slow step on a loaded machine would add to.
  await app.register(otelPlugin, { serviceName: 'after-error', exporter, handleSignals: false, lifecycleSpans: 'off' })
  app.get('/', async () => 'ok')
  await app.inject({ url: '/' })
  await app.otel.forceFlush()
  assert.equal(exporter.getFinishedSpans().length, 1)
  await app.close()
})

test('secrets never appear in a validation message', async () => {
  const app = Fastify()
  await assert.rejects(
    async () => {
      await app.register(otelPlugin, { exporter: { headers: { authorization: 'Bearer top-secret\u0000' } } })
    },
    (error) => {
      assert.doesNotMatch(error.message, /top-secret/)
      return true
    }
  )
  await app.close()
})

test("a queue set smaller than the preset's batch: the batch is the queue (no contradiction was written)", async () => {
  const app = Fastify()
  await app.register(otelPlugin, {
    serviceName: 'small-queue',
    exporter: new InMemorySpanExporter(),
    handleSignals: false,
    batch: { maxQueueSize: 100 }
  })
  assert.deepEqual(app.otel.config.batch.maxQueueSize, { value: 100, source: 'options' })
  assert.deepEqual(app.otel.config.batch.maxExportBatchSize, { value: 100, source: 'options' })
  await app.close()
})
