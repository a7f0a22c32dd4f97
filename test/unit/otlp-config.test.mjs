// How each signal's OTLP protocol and endpoint are resolved from options and OTEL_* variables
// (the specification's rules, sdk/config/resolve-exporter.ts), and the values the runtime cannot
// hold caught at configuration: durations past a Node timer's limit, headers too large to send.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { clampDuration, MAX_TIMER_MILLIS } from '../../dist/sdk/config/durations.js'
import { redactEndpoint } from '../../dist/sdk/config/endpoint.js'
import { resolveSdkConfig } from '../../dist/sdk/config/resolve-config.js'

/** The resolution of `options` with exactly `env` (nothing of this process's environment). */
const resolve = (options = {}, env = {}) => resolveSdkConfig(options, env)
const codes = (resolution) => resolution.codedWarnings.map((w) => w.code)
const endpointOf = (resolution, signal = 'traces') =>
  (signal === 'traces' ? resolution.config.exporter : resolution.config.logs.exporter).endpoint

describe('protocol: the signal variable, the general one, the signal option, the shared option, the default', () => {
  test('the default is http/protobuf, to http://localhost:4318 with the signal path', () => {
    const { config } = resolve({ logs: true })
    assert.deepEqual(config.exporter.protocol, { value: 'http/protobuf', source: 'default' })
    assert.deepEqual(config.exporter.endpoint, { value: 'http://localhost:4318/v1/traces', source: 'default' })
    assert.deepEqual(config.logs.exporter.endpoint, { value: 'http://localhost:4318/v1/logs', source: 'default' })
  })

  test('each level wins over the ones after it, per signal', () => {
    const options = { exporter: { protocol: 'http/json', logs: { protocol: 'grpc' } }, logs: true }
    const fromOptions = resolve(options).config
    assert.deepEqual(fromOptions.exporter.protocol, { value: 'http/json', source: 'options' })
    assert.deepEqual(fromOptions.logs.exporter.protocol, { value: 'grpc', source: 'options' })
    assert.deepEqual(fromOptions.logs.exporter.endpoint, { value: 'http://localhost:4317', source: 'default' })

    const env = { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }
    const fromEnv = resolve(options, env).config
    assert.deepEqual(
      fromEnv.exporter.protocol,
      { value: 'http/protobuf', source: 'env', env: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' }
    )
    assert.deepEqual(
      fromEnv.logs.exporter.protocol,
      { value: 'grpc', source: 'env', env: 'OTEL_EXPORTER_OTLP_PROTOCOL' }
    )
  })

  test('an invalid protocol variable is named and ignored', () => {
    const r = resolve({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http' })
    assert.equal(r.config.exporter.protocol.value, 'http/protobuf')
    assert.ok(
      r.warnings.includes(
        'OTEL_EXPORTER_OTLP_PROTOCOL="http" is invalid (expected one of grpc, http/protobuf, http/json); ' +
          'ignoring it and using http/protobuf from the default.'
      ),
      r.warnings.join('\n')
    )
  })
})

describe('endpoints, as the specification has them', () => {
  const cases = [
    // [label, env, options, traces endpoint, logs endpoint]
    ['a base endpoint gets the signal path', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, {}, 'http://collector:4318/v1/traces', 'http://collector:4318/v1/logs'],
    ['after the path it already has', { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp-gateway.example.net/otlp' }, {}, 'https://otlp-gateway.example.net/otlp/v1/traces', 'https://otlp-gateway.example.net/otlp/v1/logs'],
    ['a trailing slash is not doubled', { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example.net/otlp/' }, {}, 'https://gw.example.net/otlp/v1/traces', 'https://gw.example.net/otlp/v1/logs'],
    ['a query stays after the path', { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example.net/otlp?tenant=a' }, {}, 'https://gw.example.net/otlp/v1/traces?tenant=a', 'https://gw.example.net/otlp/v1/logs?tenant=a'],
    ['a signal endpoint is used as given', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.net/custom/path', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, {}, 'https://traces.example.net/custom/path', 'http://collector:4318/v1/logs'],
    ['the option base, the same way', {}, { exporter: { endpoint: 'https://gw.example.net/otlp' } }, 'https://gw.example.net/otlp/v1/traces', 'https://gw.example.net/otlp/v1/logs'],
    ["a signal's option, as given", {}, { exporter: { endpoint: 'http://c:4318', logs: { endpoint: 'http://logs:9999/ingest' } } }, 'http://c:4318/v1/traces', 'http://logs:9999/ingest']
  ]
  for (const [label, env, options, traces, logs] of cases) {
    test(label, () => {
      const r = resolve({ ...options, logs: true }, env)
      assert.equal(endpointOf(r).value, traces)
      assert.equal(endpointOf(r, 'logs').value, logs)
    })
  }

  test('gRPC uses scheme, host and port; a path is ignored with a warning', () => {
    const r = resolve({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4317/otlp' })
    assert.deepEqual(endpointOf(r), { value: 'https://collector:4317', source: 'env', env: 'OTEL_EXPORTER_OTLP_ENDPOINT' })
    assert.ok(
      r.warnings.includes(
        'OTEL_EXPORTER_OTLP_ENDPOINT has a path, which gRPC does not use: exporting to https://collector:4317 (the path is ignored).'
      )
    )
  })

  test("gRPC's legacy host:port stays as written (TLS unless insecure); over HTTP it is no endpoint", () => {
    assert.equal(
      endpointOf(resolve({ exporter: { protocol: 'grpc', endpoint: 'collector:4317' } })).value,
      'collector:4317'
    )
    assert.throws(() => resolve({ exporter: { endpoint: 'collector:4318' } }), { code: 'FOK_ERR_INVALID_OPTION' })
  })

  test('mistakes that are likely: a base ending in /v1/traces, a signal endpoint with no path', () => {
    const doubled = resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/v1/traces' })
    assert.equal(endpointOf(doubled).value, 'http://c:4318/v1/traces/v1/traces')
    assert.ok(doubled.warnings.some((w) => w.startsWith('OTEL_EXPORTER_OTLP_ENDPOINT already ends in /v1/traces')))
    const bare = resolve({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318' })
    assert.equal(endpointOf(bare).value, 'http://c:4318')
    assert.ok(bare.warnings.some((w) => w.startsWith('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT has no path')))
  })

  test('an unusable variable turns only that signal off, naming the variable, never the value', () => {
    const r = resolve(
      { logs: true },
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }
    )
    assert.deepEqual(
      r.config.exporter.kind,
      { value: 'none', source: 'env', env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' }
    )
    assert.equal(r.config.logs.exporter.kind.value, 'otlp')
    assert.deepEqual(codes(r), ['FOK_WARN_EXPORT_DISABLED'])
    assert.doesNotMatch(r.codedWarnings[0].message, /not a url/)
  })

  test('a host name that DNS would never take is no endpoint, with or without a scheme', () => {
    for (const raw of ['-5', 'NaN', 'http://-5', `http://${'a'.repeat(64)}.example`, 'http://host:0', 'http://a b']) {
      const r = resolve({ logs: true }, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: raw })
      assert.equal(r.config.exporter.kind.value, 'none', raw)
    }
    // Docker Compose service names have underscores; they resolve.
    assert.equal(resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel_collector:4318' }).config.exporter.kind.value, 'otlp')
  })

  test('the ports mixed up: 4317 with no protocol set, or gRPC to 4318, is warned about with the fix', () => {
    const http4317 = resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' })
    assert.deepEqual(codes(http4317), ['FOK_WARN_PROTOCOL_PORT'])
    assert.match(http4317.codedWarnings[0].message, /set OTEL_EXPORTER_OTLP_PROTOCOL=grpc/)
    // A protocol that was chosen is the user's business.
    assert.deepEqual(codes(resolve({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' })), [])
    const grpc4318 = resolve({ exporter: { protocol: 'grpc', endpoint: 'http://collector:4318' } })
    assert.deepEqual(codes(grpc4318), ['FOK_WARN_PROTOCOL_PORT'])
    assert.match(grpc4318.codedWarnings[0].message, /4318, OTLP\/HTTP's port, but the protocol is grpc \(from the plugin options\)/)
  })

  test('gRPC over TLS to an IP address is said at registration (Node 26 refuses it as a TLS server name)', () => {
    for (const endpoint of ['https://10.0.0.7:4317', 'https://[::1]:4317']) {
      const r = resolve({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })
      assert.ok(
        r.warnings.some((w) => w.startsWith('OTEL_EXPORTER_OTLP_ENDPOINT names an IP address') && /Node 26/.test(w)),
        `${endpoint}: ${JSON.stringify(r.warnings)}`
      )
    }
    // A host name, plaintext, or OTLP/HTTP: nothing to say.
    for (const [protocol, endpoint] of [['grpc', 'https://collector:4317'], ['grpc', 'http://10.0.0.7:4317'],
      ['http/protobuf', 'https://10.0.0.7:4318'], ['grpc', '10.0.0.7:4317']]) {
      const r = resolve({}, { OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })
      assert.ok(!r.warnings.some((w) => w.includes('names an IP address')), endpoint)
    }
  })

  test('headers from the user and no endpoint from the user: an error from options, export off from the ' +
    'environment', () => {
    assert.throws(
      () => resolve({ exporter: { headers: { authorization: 'Basic x' } } }),
      { code: 'FOK_ERR_CONFLICTING_OPTIONS' }
    )
    const r = resolve({}, { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20x' })
    assert.deepEqual(r.config.exporter.kind, { value: 'none', source: 'env', env: 'OTEL_EXPORTER_OTLP_HEADERS' })
    // With an endpoint, the same headers are fine.
    const ok = resolve({}, { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20x', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example.net' })
    assert.equal(ok.config.exporter.kind.value, 'otlp')
  })

  test('header values as environment-variables.md writes them: a space as it is or as %20, a comma and a % ' +
    'encoded, spaces around key and value left out', () => {
    const headersOf = (raw) =>
      resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example.net', OTEL_EXPORTER_OTLP_HEADERS: raw })
        .exporterHeaders
    const expected = { authorization: 'Bearer t0k', 'x-list': 'a,b', 'x-rate': '5%' }
    assert.deepEqual(headersOf('authorization=Bearer t0k,x-list=a%2Cb,x-rate=5%25'), expected)
    assert.deepEqual(headersOf(' authorization = Bearer%20t0k , x-list=a%2Cb,x-rate=5%25'), expected)
  })

  test('a signal that is not exported says where it would go, without notices about it', () => {
    const r = resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' })
    // Logs are off: one port warning (for spans), none for the logs.
    assert.equal(r.codedWarnings.length, 1)
    assert.equal(endpointOf(r, 'logs').value, 'http://collector:4317/v1/logs')
  })

  test('credentials in an endpoint are never shown', () => {
    assert.equal(redactEndpoint('https://user:pw@gw.example.net/otlp?api-key=k1&x=2'), 'https://[REDACTED]@gw.example.net/otlp?api-key=[REDACTED]&x=[REDACTED]')
    // A password with an @ in it: parsers take the last one before the path.
    assert.equal(redactEndpoint('http://u:p@ss@host:4318/v1'), 'http://[REDACTED]@host:4318/v1')
    // A bare query member may be a token; a fragment too.
    assert.equal(redactEndpoint('http://h/x?SECRETNOEQ&a=1#tok=FRAG'), 'http://h/x?[REDACTED]&a=[REDACTED]#[REDACTED]')
    assert.equal(redactEndpoint('http://localhost:4318'), 'http://localhost:4318')
    // An @ in the query is no user name.
    assert.equal(redactEndpoint('http://h/x?mail=a@b'), 'http://h/x?mail=[REDACTED]')
  })
})

describe('values the runtime cannot hold', () => {
  test('clampDuration: at most 2^31 - 1 ms, with a coded warning naming where the value came from', () => {
    assert.deepEqual(clampDuration(5000, 'x'), { value: 5000 })
    const clamped = clampDuration(2 ** 31, 'option exporter.timeoutMillis')
    assert.equal(clamped.value, MAX_TIMER_MILLIS)
    assert.equal(clamped.warning.code, 'FOK_WARN_DURATION_CLAMPED')
    assert.match(clamped.warning.message, /^option exporter\.timeoutMillis is 2147483648 ms, more than a Node timer holds/)
    assert.match(clampDuration(Infinity, 'y').warning.message, /^y is infinite/)
  })

  test('every duration, from options and from the environment', () => {
    const options = {
      exporter: { endpoint: 'http://c:4318', timeoutMillis: 2 ** 31, retry: { initialBackoffMillis: 2 ** 40, maxBackoffMillis: Infinity } },
      batch: { scheduledDelayMillis: 2 ** 31 },
      shutdownTimeoutMillis: Infinity,
      logs: { batch: { exportTimeoutMillis: 2 ** 33 } }
    }
    const env = { OTEL_BSP_EXPORT_TIMEOUT: '99999999999999999999', OTEL_BLRP_SCHEDULE_DELAY: '4294967296' }
    const { config, codedWarnings } = resolve(options, env)
    for (const value of [
      config.exporter.timeoutMillis.value,
      config.exporter.retry.value.initialBackoffMillis,
      config.exporter.retry.value.maxBackoffMillis,
      config.batch.scheduledDelayMillis.value,
      config.batch.exportTimeoutMillis.value,
      config.shutdownTimeoutMillis.value,
      config.logs.batch.exportTimeoutMillis.value,
      config.logs.batch.scheduledDelayMillis.value
    ]) {
      assert.equal(value, MAX_TIMER_MILLIS)
    }
    const named = codedWarnings
      .filter((w) => w.code === 'FOK_WARN_DURATION_CLAMPED')
      .map((w) => w.message.split(' is ')[0])
    assert.deepEqual(named.sort(), [
      'OTEL_BLRP_SCHEDULE_DELAY',
      'OTEL_BSP_EXPORT_TIMEOUT',
      'option exporter.retry.initialBackoffMillis',
      'option exporter.retry.maxBackoffMillis',
      'option exporter.timeoutMillis',
      'option logs.batch.exportTimeoutMillis',
      'option shutdownTimeoutMillis',
      'option batch.scheduledDelayMillis'
    ].sort())
  })

  test('a header too large for the transport is named, never its value', () => {
    const big = 'z'.repeat(1024 * 1024)
    const r = resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${big},x-small=1` })
    assert.deepEqual(codes(r), ['FOK_WARN_HEADER_TOO_LARGE'])
    assert.match(r.codedWarnings[0].message, /^OTEL_EXPORTER_OTLP_HEADERS: header "x-api-key" \(1048585 bytes\) is over 8192 bytes/)
    assert.ok(!r.codedWarnings[0].message.includes('zzzz'))
    assert.deepEqual(codes(resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=small' })), [])
  })

  test('headers each under 8 KiB but over 16 KiB together are named by their total, never a value', () => {
    const members = Array.from({ length: 3 }, (_, i) => `x-part-${i}=${'q'.repeat(6000)}`).join(',')
    const r = resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: members })
    assert.deepEqual(codes(r), ['FOK_WARN_HEADER_TOO_LARGE'])
    assert.match(r.codedWarnings[0].message, /^OTEL_EXPORTER_OTLP_HEADERS: the headers are 18024 bytes together, over 16384;/)
    assert.ok(!r.codedWarnings[0].message.includes('qqqq'))
  })
})
