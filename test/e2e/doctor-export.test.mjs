// The doctor's export checks (cli/export-check.ts): one real export per signal over its protocol,
// and the usual mistakes named after a failure by asking the port what it speaks.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { mistakesFor } from '../../dist/cli/export-check.js'

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))
const tls = (name) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url))

function doctor (args, env = {}) {
  const base = { ...process.env }
  for (const key of Object.keys(base)) if (key.startsWith('OTEL_')) delete base[key]
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'doctor', '--timeout', '3000', ...args], {
      env: {
        ...base,
        OTEL_SERVICE_NAME: 'billing',
        ...env
      }
    }, (error, stdout) => {
      resolve({ code: error?.code ?? 0, stdout })
    })
  })
}

test('one real export per signal, over each protocol', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  for (const [protocol, endpoint] of [
    ['http/protobuf', receiver.httpEndpoint],
    ['http/json', receiver.httpEndpoint],
    ['grpc', receiver.endpoint]
  ]) {
    const { code, stdout } = await doctor([], {
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_LOGS_EXPORTER: 'otlp'
    })
    assert.equal(code, 0, stdout)
    assert.match(stdout, new RegExp(`✓ traces: ${protocol.replace('/', '\\/')} to .* accepted a smoke span in \\d+ ms`))
    assert.match(stdout, new RegExp(`✓ logs: ${protocol.replace('/', '\\/')} to .* accepted a smoke log record ` +
      'in \\d+ ms'))
    assert.match(stdout, new RegExp(`✓ otlp: ${protocol.replace('/', '\\/')} to .* accepted \\d+ metric data point`))
  }
  // One smoke export per signal and protocol: nothing sent twice to a collector.
  const contentTypes = new Set(receiver.exports.map((e) => `${e.signal} ${e.contentType}`))
  assert.equal(receiver.exports.length, contentTypes.size)
  assert.deepEqual([...contentTypes].sort(), [
    'logs application/grpc',
    'logs application/json',
    'logs application/x-protobuf',
    'metrics application/grpc',
    'metrics application/json',
    'metrics application/x-protobuf',
    'traces application/grpc',
    'traces application/json',
    'traces application/x-protobuf'
  ])
  assert.ok(receiver.logs.every((r) => r.body === 'fastify-otel-kit doctor smoke test'))
})

test('the usual mistakes, found by asking the port', async (t) => {
  const plain = await OtlpReceiver.start()
  const secure = await OtlpReceiver.start({
    tls: {
      cert: readFileSync(tls('server.pem')),
      key: readFileSync(tls('server.key'))
    }
  })
  t.after(async () => {
    await plain.stop()
    await secure.stop()
  })
  const cases = [
    // OTLP/HTTP (the default) to a gRPC port.
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: plain.endpoint }, /speaks only HTTP\/2 without TLS: a gRPC port\. Set OTEL_EXPORTER_OTLP_PROTOCOL=grpc/],
    // gRPC to an OTLP/HTTP port: only HTTP/1.1 there.
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: plain.httpEndpoint }, /speaks only HTTP\/1\.1, which gRPC cannot use: an OTLP\/HTTP port, or a proxy that does not pass HTTP\/2/],
    // https:// to a plaintext port.
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: plain.httpEndpoint.replace('http://', 'https://') }, /speaks plaintext, but the endpoint is https:\/\/: use http:\/\//],
    // http:// to a TLS port.
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: secure.httpEndpoint.replace('https://', 'http://') }, /speaks TLS, but the endpoint is http:\/\/ \(plaintext\): use https:\/\//],
    // gRPC through something that agrees to HTTP/1.1 only over TLS (an https OTLP/HTTP port here).
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: secure.httpEndpoint, OTEL_EXPORTER_OTLP_CERTIFICATE: tls('ca.pem') }, /does not agree to HTTP\/2 over TLS \(ALPN (none|http\/1\.1)\), which gRPC needs/]
  ]
  for (const [env, mistake] of cases) {
    const { code, stdout } = await doctor([], env)
    assert.equal(code, 1, stdout)
    assert.match(stdout, /✗ traces: export over /)
    assert.match(stdout, mistake)
    // The export's own error keeps its hint on its line (OpenSSL's text ends with a line break).
    if (env.OTEL_EXPORTER_OTLP_ENDPOINT.startsWith('https://127')) {
      assert.match(stdout, /✗ traces: export over [^\n]* \(the endpoint does not speak TLS: use http:\/\//)
    }
  }
})

test('a path on a gRPC endpoint is named before anything is sent', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const { code, stdout } = await doctor(
    [],
    { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.endpoint}/otlp` }
  )
  assert.equal(code, 0, stdout)
  assert.match(stdout, /! traces: the endpoint has a path \(\/otlp\), which gRPC does not use: .* set OTEL_EXPORTER_OTLP_PROTOCOL=http\/protobuf/)
})

test('an export turned off by the environment says which variable, and sends nothing', async () => {
  const { code, stdout } = await doctor(
    [],
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'NaN', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20c2VjcmV0' }
  )
  assert.match(stdout, /- traces: export is off \(OTEL_EXPORTER_OTLP_ENDPOINT\): no collector to check/)
  assert.match(stdout, /✗ OTEL_EXPORTER_OTLP_ENDPOINT is not a usable endpoint for http\/protobuf .* \[FOK_WARN_EXPORT_DISABLED\]/)
  // An export the environment turned off fails the check.
  assert.equal(code, 1)
  assert.doesNotMatch(stdout, /c2VjcmV0/)
})

test('TLS files are checked with or without --no-export: a missing one fails (exit 1), named once with its ' +
  'signals; good ones pass', async () => {
  const missing = await doctor(['--no-export'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://localhost:4318',
    OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.pem'
  })
  assert.equal(missing.code, 1, missing.stdout)
  assert.match(
    missing.stdout,
    /✗ traces, metrics: OTEL_EXPORTER_OTLP_CERTIFICATE names "\/nonexistent\/ca\.pem", which cannot be read \(ENOENT\)/
  )
  const good = await doctor(['--no-export'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://localhost:4318',
    OTEL_EXPORTER_OTLP_CERTIFICATE: tls('ca.pem'),
    OTEL_EXPORTER_OTLP_CLIENT_KEY: tls('client.key'),
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: tls('client.pem')
  })
  assert.equal(good.code, 0, good.stdout)
  assert.match(good.stdout, /✓ traces, metrics: every file named is a readable PEM of its kind/)
  // A plaintext endpoint reads no TLS file: a missing one is the warning's business, not a failure.
  const plaintext = await doctor(['--no-export'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.pem'
  })
  assert.equal(plaintext.code, 0, plaintext.stdout)
  assert.doesNotMatch(plaintext.stdout, /TLS files/)
})

test('a TLS file from the options that cannot be read: the export check says so instead of stopping (exit 1, ' +
  'not 2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-tls-'))
  const config = join(dir, 'otel.json')
  writeFileSync(
    config,
    JSON.stringify({ exporter: { endpoint: 'https://localhost:4318', certificateFile: '/nonexistent/ca.pem' } })
  )
  const { code, stdout } = await doctor(['--config', config, '--timeout', '2000'])
  rmSync(dir, { recursive: true, force: true })
  assert.equal(code, 1, stdout)
  assert.match(stdout, /✗ traces, metrics: option "exporter\.certificateFile" names "\/nonexistent\/ca\.pem", which cannot be read/)
  assert.match(stdout, /Export[^]*✗ traces: option "exporter\.certificateFile"/)
})

test('the port mix-up is named whatever the port answers', () => {
  assert.deepEqual(mistakesFor('grpc', false, 'collector:4318', 4318, { kind: 'refused' }), [
    'nothing listens on collector:4318 (connection refused): is the collector running, on this port? 4318 is ' +
      'the OTLP/HTTP port: gRPC listens on 4317 (or set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf).'
  ])
  assert.deepEqual(mistakesFor('http/protobuf', false, 'c:4317', 4317, { kind: 'h2c' }), [
    'c:4317 speaks only HTTP/2 without TLS: a gRPC port. 4317 is the OTLP/gRPC port: OTLP/HTTP listens on 4318 ' +
      '(or set OTEL_EXPORTER_OTLP_PROTOCOL=grpc).'
  ])
})
