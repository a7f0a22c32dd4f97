// A credential only goes where the user pointed it (issue: a managed backend's environment sent
// its Authorization header to http://localhost:4317 in plaintext). Services configured by the
// environment alone, under the preload, as the Kubernetes recipe runs them: the managed backend's
// three variables deliver every span and log record to the gateway path, plaintext and TLS, with
// the header attached once; an endpoint that cannot be used, or headers with no endpoint, turn
// export off with a warning that names the variable, and listeners on the default ports (4317,
// 4318, on 127.0.0.1 and ::1) see nothing at all.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import net from 'node:net'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

const app = fileURLToPath(new URL('../fixtures/credential-destination-app.mjs', import.meta.url))
const tls = (name) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url))
const SECRET_HEADER = 'Authorization=Basic%20c2VjcmV0'
const SECRET = 'Basic c2VjcmV0'

/** Listeners on the default OTLP ports, where they are free: every connection counted. */
const defaults = { listening: [], connections: 0, servers: [] }
before(async () => {
  for (const host of ['127.0.0.1', '::1']) {
    for (const port of [4317, 4318]) {
      const server = net.createServer((socket) => {
        defaults.connections++
        socket.destroy()
      })
      const bound = await new Promise((resolve) => {
        server.once('error', () => resolve(false))
        server.listen(port, host, () => resolve(true))
      })
      if (bound) {
        defaults.listening.push(`${host}:${port}`)
        defaults.servers.push(server)
      }
    }
  }
})
after(() => {
  for (const server of defaults.servers) server.close()
})

/** Runs the service under the preload with only `env` for OpenTelemetry. */
function run (env) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS')
  )
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'fastify-otel-kit/register', app],
      // Killed rather than left running: an export that traced itself would export forever.
      {
        env: { ...base, OTEL_SERVICE_NAME: 'checkout', OTEL_LOGS_EXPORTER: 'otlp', ...env },
        maxBuffer: 1 << 24,
        timeout: 20_000,
        killSignal: 'SIGKILL'
      },
      (error, stdout, stderr) => {
        const stats = JSON.parse(/^stats (.*)$/m.exec(stdout)?.[1] ?? 'null')
        resolve({ code: error?.code ?? 0, stdout, stderr, stats })
      }
    )
  })
}

describe("the managed backend's environment: every span and record at the gateway path, the header once", () => {
  for (const [label, receiverOptions, extra] of [
    ['plaintext', {}, {}],
    [
      'TLS',
      { tls: { cert: readFileSync(tls('server.pem')), key: readFileSync(tls('server.key')) } },
      { OTEL_EXPORTER_OTLP_CERTIFICATE: tls('ca.pem') }
    ]
  ]) {
    test(`${label}: OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf, a base endpoint with a path, an Authorization ` +
      'header', async (t) => {
      const gateway = await OtlpReceiver.start({ ...receiverOptions, httpPathPrefix: '/otlp' })
      t.after(() => gateway.stop())
      assert.match(gateway.httpEndpoint, /\/otlp$/)
      const before = defaults.connections
      const { code, stderr, stats } = await run({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_ENDPOINT: gateway.httpEndpoint,
        OTEL_EXPORTER_OTLP_HEADERS: SECRET_HEADER,
        ...extra
      })
      assert.equal(code, 0, stderr)
      assert.deepEqual([stats.exported, stats.failed, stats.dropped], [3, 0, 0], stderr)
      assert.deepEqual([stats.logs.created, stats.logs.failed, stats.logs.dropped], [stats.logs.exported, 0, 0], stderr)
      assert.equal(gateway.spans.length, 3)
      assert.equal(gateway.logs.filter((r) => r.body === 'order loaded').length, 3)
      assert.equal(gateway.logs.length, stats.logs.exported)
      assert.deepEqual(
        [...new Set(gateway.exports.map((e) => `${e.signal} ${e.contentType} ${e.headers.authorization}`))].sort(),
        [
          `logs application/x-protobuf ${SECRET}`,
          `metrics application/x-protobuf ${SECRET}`,
          `traces application/x-protobuf ${SECRET}`
        ]
      )
      assert.equal(gateway.spans[0].resource['service.name'], 'checkout')
      // instrumentation-http is on under the preload: the exports' own requests are never traced.
      assert.deepEqual([...new Set(gateway.spans.map((s) => s.name))], ['GET /orders/:id'])
      assert.equal(defaults.connections, before, 'something reached a default port')
      assert.doesNotMatch(stderr, /c2VjcmV0|FOK_WARN/)
    })
  }

  test('gRPC: the same header, as metadata, once', async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const { code, stderr, stats } = await run({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: SECRET_HEADER
    })
    assert.equal(code, 0, stderr)
    assert.equal(stats.exported, 3)
    assert.deepEqual([...new Set(receiver.exports.map((e) => `${e.transport} ` +
      `${e.headers.authorization}`))], [`grpc ${SECRET}`])
  })
})

describe('an endpoint that cannot be used never becomes a default one, and its value is never shown', () => {
  test('the default ports are watched', (t) => {
    if (defaults.listening.length === 0) t.skip('every default port is taken on this machine')
    t.diagnostic(`listening on ${defaults.listening.join(', ')}`)
    assert.ok(defaults.listening.length > 0)
  })

  const unusable = [
    ['NaN', 'NaN'],
    ['-5', '-5'],
    ['100 KB of text', 'x'.repeat(100 * 1024)],
    ['host:port without a scheme, over HTTP', 'localhost:4318'],
    ['a scheme that is not http', 'ftp://collector:4318']
  ]
  for (const [label, value] of unusable) {
    test(`OTEL_EXPORTER_OTLP_ENDPOINT=${label} with headers set: export off, said loudly, nothing sent ` +
      'anywhere', async () => {
      const before = defaults.connections
      const { code, stderr, stats } = await run({
        OTEL_EXPORTER_OTLP_ENDPOINT: value,
        OTEL_EXPORTER_OTLP_HEADERS: SECRET_HEADER
      })
      assert.equal(code, 0, stderr)
      assert.match(stderr, /\[FOK_WARN_EXPORT_DISABLED\] FastifyOtelKitWarning: fastify-otel-kit: OTEL_EXPORTER_OTLP_ENDPOINT is not a usable endpoint for http\/protobuf \(.*; the value is not shown\): span export is off/)
      assert.match(stderr, /OTEL_EXPORTER_OTLP_ENDPOINT is not a usable endpoint for http\/protobuf .*: log record export is off/)
      // No exporter: the spans are neither queued nor failed, and nothing reached a default port.
      assert.equal(stats.exported, 0)
      assert.equal(defaults.connections, before, 'something reached a default port')
      assert.doesNotMatch(stderr, /c2VjcmV0/)
      if (value.length > 3) assert.ok(!stderr.includes(value), 'the value was shown')
    })
  }

  test('headers with no endpoint anywhere: export off rather than the credential going to localhost', async () => {
    const before = defaults.connections
    const { code, stderr, stats } = await run({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_HEADERS: SECRET_HEADER
    })
    assert.equal(code, 0, stderr)
    assert.match(
      stderr,
      /\[FOK_WARN_EXPORT_DISABLED\] FastifyOtelKitWarning: fastify-otel-kit: OTEL_EXPORTER_OTLP_HEADERS sets headers but no endpoint is set for spans: span export is off rather than sending them to the default http:\/\/localhost:4318\/v1\/traces/
    )
    assert.equal(stats.exported, 0)
    assert.equal(defaults.connections, before, 'something reached a default port')
    assert.doesNotMatch(stderr, /c2VjcmV0/)
  })

  test('the same over gRPC: an endpoint that is not host:port never becomes a host name', async () => {
    const before = defaults.connections
    const { code, stderr } = await run({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'NaN',
      OTEL_EXPORTER_OTLP_HEADERS: SECRET_HEADER
    })
    assert.equal(code, 0, stderr)
    assert.match(stderr, /OTEL_EXPORTER_OTLP_ENDPOINT is not a usable endpoint for grpc \(neither an http:\/\/ or https:\/\/ URL nor host:port; the value is not shown\)/)
    assert.equal(defaults.connections, before, 'something reached a default port')
  })
})
