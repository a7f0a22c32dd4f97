// Bad exporter environment: each bad member of OTEL_EXPORTER_OTLP[_TRACES]_HEADERS and
// OTEL_RESOURCE_ATTRIBUTES is skipped with a warning that names the variable and the member's
// position (never its text), the good members are applied, what reaches the collector is what
// the warning says, and no environment value makes registration fail.
import fc from 'fast-check'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { logCapture, withEnv } from '../helpers.mjs'

function restore (saved) {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
}

const warnings = (logs) => logs.lines.filter((l) => l.level === 40).map((l) => l.msg)

describe('OTEL_EXPORTER_OTLP_HEADERS member by member, against a real receiver', () => {
  let receiver
  before(async () => {
    receiver = await OtlpReceiver.start()
  })
  after(() => receiver.stop())

  /** Registers the plugin exporting to the receiver, sends one span, returns the warnings and the headers received. */
  async function exportOnce (t, options = {}) {
    const logs = logCapture()
    const app = Fastify({ logger: { level: 'warn', stream: logs.stream } })
    t.after(() => app.close())
    await app.register(otelPlugin, {
      serviceName: 'bad-env',
      handleSignals: false,
      // The spans' export is the one read below: no metrics export to the same receiver.
      metrics: false,
      exporter: {
        protocol: 'grpc',
        endpoint: receiver.endpoint,
        retry: false,
        timeoutMillis: 5000,
        ...options.exporter
      }
    })
    app.get('/', async () => 'ok')
    const seen = receiver.exports.length
    await app.inject({ url: '/' })
    await app.otel.forceFlush()
    const [received] = receiver.exports.slice(seen)
    assert.ok(received !== undefined, 'an export arrived')
    assert.equal(received.code, 0)
    return { app, warned: warnings(logs).filter((m) => m.includes('OTEL_')), logs, headers: received.headers }
  }

  test('"authorization=Bearer X%0A": skipped (a newline is not gRPC metadata), ' +
    'registration does not fail', async (t) => {
    withEnv(t, { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer X%0A' })
    const { warned, headers, app } = await exportOnce(t)
    assert.deepEqual(warned, [
      'fastify-otel-kit: OTEL_EXPORTER_OTLP_HEADERS: skipping member 1 (the value, percent-decoded, ' +
        'is not printable ASCII); no member of it is applied. Member text is never shown.'
    ])
    assert.equal(headers.authorization, undefined)
    assert.deepEqual(app.otel.config.exporter.headers, { value: {}, source: 'default' })
  })

  test('"Bearer X=x": skipped (not a header name), registration does not fail', async (t) => {
    withEnv(t, { OTEL_EXPORTER_OTLP_HEADERS: 'Bearer X=x' })
    const { warned, headers } = await exportOnce(t)
    assert.deepEqual(warned, [
      'fastify-otel-kit: OTEL_EXPORTER_OTLP_HEADERS: skipping member 1 (not a valid header name); ' +
        'no member of it is applied. Member text is never shown.'
    ])
    assert.equal(headers['bearer x'], undefined)
  })

  test('"authorization=Bearer X,garbage": the warning and what is sent agree; ' +
    'the bad member is never echoed', async (t) => {
    withEnv(t, { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer X,garbage' })
    const { warned, headers, logs } = await exportOnce(t)
    assert.deepEqual(warned, [
      'fastify-otel-kit: OTEL_EXPORTER_OTLP_HEADERS: skipping member 2 (not key=value); the other member is applied. ' +
        'Member text is never shown.'
    ])
    assert.equal(headers.authorization, 'Bearer X')
    assert.equal(headers.garbage, undefined)
    for (const line of logs.lines) assert.doesNotMatch(JSON.stringify(line), /garbage|Bearer/)
  })

  test('every kind of bad member at once, both variables: only the bad ones are skipped, ' +
    'the rest is sent', async (t) => {
    withEnv(t, {
      OTEL_EXPORTER_OTLP_HEADERS:
        ',authorization=Bearer%20ok,=novalue,x-bad=%ZZ,Bad Name=1,connection=close,x-tenant=acme,' +
        'sk-live-Pasted1234567890abcdef',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=traces,x-nl=a%0Db,X-Region=EU'
    })
    const { warned, headers, app, logs } = await exportOnce(t, { exporter: { headers: { 'x-team': 'pay' } } })
    assert.deepEqual(warned, [
      'fastify-otel-kit: OTEL_EXPORTER_OTLP_HEADERS: skipping member 3 (empty key), ' +
        'member 4 (invalid percent-encoding), member 5 (not a valid header name), ' +
        'member 6 (a connection header, which HTTP/2 forbids), member 8 (not key=value); ' +
        'the other 2 members are applied. Member text is never shown.',
      'fastify-otel-kit: OTEL_EXPORTER_OTLP_TRACES_HEADERS: skipping member 2 (the value, percent-decoded, ' +
        'is not printable ASCII); the other 2 members are applied. Member text is never shown.'
    ])
    assert.equal(headers.authorization, 'Bearer ok')
    assert.equal(headers['x-tenant'], 'traces')
    assert.equal(headers['x-region'], 'EU')
    assert.equal(headers['x-team'], 'pay')
    for (const absent of ['x-bad', 'bad name', 'connection', 'x-nl']) assert.equal(headers[absent], undefined, absent)
    assert.deepEqual(Object.keys(app.otel.config.exporter.headers.value).sort(), [
      'authorization',
      'x-region',
      'x-team',
      'x-tenant'
    ])
    for (const line of logs.lines) { assert.doesNotMatch(JSON.stringify(line), /novalue|ZZ|Bad Name|close|Pasted|acme|traces|a%0Db/) }
  })
})

test('OTEL_RESOURCE_ATTRIBUTES member by member: the bad ones skipped by position, ' +
  'the rest on the resource', async (t) => {
  withEnv(t, { OTEL_RESOURCE_ATTRIBUTES: 'team=pay,oops,region=%ZZ,=x,tier=gold,service.version=2.0.0' })
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'warn', stream: logs.stream } })
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'bad-env',
    handleSignals: false,
    exporter: { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} }
  })
  assert.deepEqual(app.otel.config.resourceAttributes.value, { team: 'pay', tier: 'gold' })
  assert.equal(app.otel.config.serviceVersion.value, '2.0.0')
  assert.ok(
    warnings(logs).includes(
      'fastify-otel-kit: OTEL_RESOURCE_ATTRIBUTES: skipping member 2 (not key=value), ' +
        'member 3 (invalid percent-encoding), member 4 (empty key); the other 3 members are applied. ' +
        'Member text is never shown.'
    )
  )
  for (const line of logs.lines) assert.doesNotMatch(JSON.stringify(line), /oops|ZZ/)
})

test('doctor shows the same warning, never the member, as a failed check', async () => {
  const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')))
  const { code, stdout } = await new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, 'doctor', '--no-export'],
      {
        env: { ...env, OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme,MySecretPastedHere' }
      },
      (error, out) => resolve({ code: error?.code ?? 0, stdout: out })
    )
  })
  assert.match(
    stdout,
    /✗ OTEL_EXPORTER_OTLP_HEADERS: skipping member 2 \(not key=value\); the other member is applied\. Member text is never shown\./
  )
  assert.equal(code, 1)
  assert.doesNotMatch(stdout, /MySecret|acme/)
})

const tlsFixture = (name) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url))

/** Registers with `env` and the options' `exporter`, returns the warnings; closes the app after. */
async function tlsWarnings (t, env, exporter = {}) {
  withEnv(t, env)
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'warn', stream: logs.stream } })
  await app.register(otelPlugin, {
    serviceName: 'bad-env',
    handleSignals: false,
    shutdownTimeoutMillis: 200,
    exporter: { endpoint: 'https://127.0.0.1:9', ...exporter }
  })
  await app.close()
  return { warnings: warnings(logs), text: logs.lines.map((l) => JSON.stringify(l)).join('\n') }
}

const NO_TLS_ENV = {
  OTEL_EXPORTER_OTLP_CLIENT_KEY: '',
  OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '',
  OTEL_EXPORTER_OTLP_CERTIFICATE: ''
}

/**
 * Registers with the TLS variables cleared and `exporter`'s files in the options (strict, unlike
 * the environment); the registration must be refused as `matches` says.
 */
async function assertRegistrationRefused (t, exporter, matches) {
  withEnv(t, NO_TLS_ENV)
  const strict = Fastify()
  t.after(() => strict.close())
  const options = { handleSignals: false, exporter: { endpoint: 'https://127.0.0.1:9', ...exporter } }
  // Fastify's register gives a thenable, which assert.rejects does not take as it is.
  await assert.rejects(async () => {
    await strict.register(otelPlugin, options)
  }, matches)
}

test('TLS files from the environment that hold no PEM block: a warning each, exported without them, ' +
  'never a failed registration; from the options, a coded error', async (t) => {
  const notPem = fileURLToPath(import.meta.url)
  const { warnings: seen } = await tlsWarnings(t, {
    OTEL_EXPORTER_OTLP_CLIENT_KEY: notPem,
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: notPem,
    OTEL_EXPORTER_OTLP_CERTIFICATE: notPem
  })
  for (const [variable, what] of [
    ['OTEL_EXPORTER_OTLP_CLIENT_KEY', 'PEM private key'],
    ['OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', 'PEM certificate'],
    ['OTEL_EXPORTER_OTLP_CERTIFICATE', 'PEM certificate']
  ]) {
    assert.ok(
      seen.some((m) => m.includes(`${variable} names "${notPem}", which holds no ${what}; exporting without it.`)),
      `${variable}: ${JSON.stringify(seen)}`
    )
  }
  for (const [exporter, expected] of [
    [{ certificateFile: notPem }, /"exporter\.certificateFile" names .*, which holds no PEM certificate\./],
    [{ clientKeyFile: notPem, clientCertificateFile: tlsFixture('client.pem') }, /which holds no PEM private key/]
  ]) {
    const refused = (error) => error.code === 'FOK_ERR_TLS_FILE' && expected.test(error.message)
    await assertRegistrationRefused(t, exporter, refused)
  }
})

test('a client key and certificate that are not a pair: a warning from the environment, an error from the ' +
  'options', async (t) => {
  const mismatched = { key: tlsFixture('client.key'), cert: tlsFixture('server.pem') }
  const { warnings: seen } = await tlsWarnings(t, {
    ...NO_TLS_ENV,
    OTEL_EXPORTER_OTLP_CLIENT_KEY: mismatched.key,
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: mismatched.cert
  })
  assert.ok(
    seen.some((m) =>
      m.includes(
        'OTEL_EXPORTER_OTLP_CLIENT_KEY and OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE ' +
          'name files that are not a usable key and certificate ('
      )
    ),
    JSON.stringify(seen)
  )
  await assertRegistrationRefused(
    t,
    { clientKeyFile: mismatched.key, clientCertificateFile: mismatched.cert },
    (error) => error.code === 'FOK_ERR_TLS_FILE' && error.message.includes('not a usable key and certificate')
  )
})

test('a private key pasted where its path belongs is never shown: not in a warning, not in an error', async (t) => {
  const pasted = readFileSync(tlsFixture('client.key'), 'utf8')
  const secretLine = pasted.split('\n')[1]
  const { warnings: seen, text } = await tlsWarnings(t, {
    ...NO_TLS_ENV,
    OTEL_EXPORTER_OTLP_CLIENT_KEY: pasted,
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: tlsFixture('client.pem')
  })
  assert.ok(
    seen.some((m) =>
      m.includes('OTEL_EXPORTER_OTLP_CLIENT_KEY=(not shown) is invalid (it holds what looks like the PEM')
    ),
    JSON.stringify(seen)
  )
  assert.ok(!text.includes(secretLine) && !text.includes('BEGIN'), 'the key is not in the log')
  // The key's base64 body on one line (or part of it) passes for a path (it may hold slashes):
  // refused for its length, or read as a path, it is still never shown.
  const oneLine = pasted.split('\n').filter((line) => !line.startsWith('-----')).join('')
  for (const value of [oneLine, oneLine.slice(0, 300)]) {
    const again = await tlsWarnings(t, {
      ...NO_TLS_ENV,
      OTEL_EXPORTER_OTLP_CLIENT_KEY: value,
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: tlsFixture('client.pem')
    })
    assert.ok(
      again.warnings.some((m) => /OTEL_EXPORTER_OTLP_CLIENT_KEY(=\(not shown\)| names a path not shown)/.test(m)),
      JSON.stringify(again.warnings)
    )
    assert.ok(!again.text.includes(secretLine.slice(0, 40)), 'no part of the key is in the log')
  }
  await assertRegistrationRefused(
    t,
    { clientKeyFile: pasted, clientCertificateFile: tlsFixture('client.pem') },
    (error) =>
      error.code === 'FOK_ERR_INVALID_OPTION' &&
      error.message.includes('"exporter.clientKeyFile" must be the path of a PEM file') &&
      !error.message.includes(secretLine) &&
      !error.message.includes('BEGIN')
  )
})

/** Every variable the plugin reads, and a few it leaves to the SDK. */
const VARIABLES = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_PROPAGATORS',
  'OTEL_TRACES_EXPORTER',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  ...[
    'ENDPOINT',
    'HEADERS',
    'TIMEOUT',
    'COMPRESSION',
    'INSECURE',
    'PROTOCOL',
    'CERTIFICATE',
    'CLIENT_KEY',
    'CLIENT_CERTIFICATE'
  ].flatMap((s) => [`OTEL_EXPORTER_OTLP_${s}`, `OTEL_EXPORTER_OTLP_TRACES_${s}`])
]

/** Values that break parsers: list syntax, percent-escapes, control characters, non-ASCII, long runs. */
const hostileValue = fc
  .oneof(
    fc.string({
      unit: fc.constantFrom(
        '=',
        ',',
        '%',
        '0',
        'A',
        'z',
        ' ',
        '\t',
        '\n',
        '\r',
        '\u0000',
        '\u00e9',
        '\ud83d\ude00',
        ';',
        ':',
        '/',
        '.',
        '-',
        'x'
      ),
      maxLength: 60
    }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc
      .array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { maxLength: 6 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join(',')),
    fc.constantFrom(
      'true',
      'false',
      '-1',
      '0',
      '1e309',
      'NaN',
      'gzip',
      'none',
      'otlp',
      'http://',
      'https://[::1',
      '::::',
      'x'.repeat(5000),
      'https://127.0.0.1:9',
      '/',
      fileURLToPath(import.meta.url),
      ...['ca.pem', 'ca.key', 'server.key', 'server.pem'].map((f) =>
        fileURLToPath(new URL(`../fixtures/tls/${f}`, import.meta.url))
      )
    )
  )
  .filter((value) => !value.includes('\u0000'))

test('no environment value makes registration fail (property, fixed seed)', async (t) => {
  const saved = Object.fromEntries(VARIABLES.map((k) => [k, process.env[k]]))
  t.after(() => restore(saved))
  const seed = 20260711
  let cases = 0
  await fc.assert(
    fc.asyncProperty(
      fc.dictionary(fc.constantFrom(...VARIABLES), hostileValue, { minKeys: 1, maxKeys: 6 }),
      async (vars) => {
        cases++
        restore(saved)
        Object.assign(process.env, vars)
        const logs = logCapture()
        const app = Fastify({ logger: { level: 'warn', stream: logs.stream } })
        try {
          await app.register(otelPlugin, {
            serviceName: 'fuzz',
            handleSignals: false,
            shutdownTimeoutMillis: 200,
            exporter: { endpoint: 'http://127.0.0.1:9', timeoutMillis: 100, retry: false }
          })
          app.get('/', async () => 'ok')
          const res = await app.inject({ url: '/' })
          assert.equal(res.statusCode, 200)
        } finally {
          await app.close()
        }
        // A header or resource member's text never shows up in a warning.
        for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
          const value = vars[name]
          if (value === undefined) continue
          const members = value.split(',').map((m) => m.trim()).filter((m) => m.length >= 4 && !m.includes('='))
          for (const member of members) {
            for (const line of warnings(logs).filter((l) => l.includes(`${name}:`))) {
              assert.ok(!line.includes(member), `${name} member shown in: ${line}`)
            }
          }
        }
      }
    ),
    { numRuns: 100, seed }
  )
  assert.equal(cases >= 100, true)
})
