// OTEL_CONFIG_FILE and the preload, as a user runs them: real child processes, a YAML file with an
// OTLP/HTTP exporter, the repository's receiver. The file replaces the environment (whose SDK
// variables are named as ignored), reaches everything the preload sets up, and a file that cannot
// be used stops the process with a coded error. Under the preload, a service name given only to
// the plugin takes effect, or one message says what to set instead.
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

const fixture = (name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))
const OTLP_HTTP_FILE = fixture('config-files/otlp-http.yaml')
const SECRET = 'k3y-9c1f-never-in-output'

/** The environment without any OTEL_* variable of the test runner's. */
function cleanEnv (vars) {
  const env = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith('OTEL_')) delete env[key]
  return { ...env, ...vars }
}

/** Runs a fixture to its end; resolves with its exit code, its IPC message and its output. */
async function run (t, file, { env, preload = false }) {
  const child = fork(file, [], {
    execArgv: preload ? ['--import', 'fastify-otel-kit/register'] : [],
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc']
  })
  t.after(() => child.kill())
  let stderr = ''
  let stdout = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  let message
  child.on('message', (m) => {
    message = m
  })
  const [code] = await once(child, 'exit')
  return { code, message, stdout, stderr }
}

/** A TCP listener that counts connections: where nothing may be sent. */
async function tripwire (t) {
  let connections = 0
  const server = createServer((socket) => {
    connections++
    socket.destroy()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  return { url: `http://127.0.0.1:${server.address().port}`, connections: () => connections }
}

test(
  'a YAML file with OTLP/HTTP exporters: spans and log records reach the receiver over HTTP, with the ' +
    'header, the file\'s resource and nothing from the environment',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const elsewhere = await tripwire(t)
    const { code, message, stdout, stderr } = await run(t, fixture('config-file-app.mjs'), {
      env: {
        OTEL_CONFIG_FILE: OTLP_HTTP_FILE,
        TEST_OTLP_HTTP_ENDPOINT: receiver.httpEndpoint,
        TEST_API_KEY: SECRET,
        // Ignored, because the file is in use: named in the warning, and nothing goes there.
        OTEL_SERVICE_NAME: 'from-env',
        OTEL_EXPORTER_OTLP_ENDPOINT: elsewhere.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc'
      }
    })
    assert.equal(code, 0, stderr)
    const spans = await receiver.waitFor((all) => all.length >= 1)
    const logs = await receiver.waitForLogs((all) => all.some((l) => l.body === 'order looked up'))
    assert.deepEqual(
      spans.map((s) => s.name),
      ['GET /orders/:id']
    )
    assert.equal(spans[0].traceId, message.traceId)
    const resource = spans[0].resource
    assert.equal(resource['service.name'], 'from-file')
    assert.equal(resource['deployment.environment.name'], 'staging')
    assert.equal(resource['replica.count'], 3)
    assert.match(resource['service.instance.id'], /^[0-9a-f-]{36}$/)
    assert.equal(typeof resource['host.name'], 'string')
    // The file asked for the service and host detectors only.
    assert.equal(resource['process.pid'], undefined)
    const line = logs.find((l) => l.body === 'order looked up')
    assert.equal(line.traceId, message.traceId)
    assert.equal(line.resource['service.name'], 'from-file')
    const traces = receiver.exports.filter((e) => e.signal === 'traces')
    const logExports = receiver.exports.filter((e) => e.signal === 'logs')
    const over = (exports, contentType) =>
      exports.length > 0 && exports.every((e) => e.transport === 'http' && e.contentType === contentType)
    assert.ok(over(traces, 'application/x-protobuf'))
    assert.ok(over(logExports, 'application/json'))
    assert.ok(receiver.exports.every((e) => e.headers['x-api-key'] === SECRET))
    assert.equal(elsewhere.connections(), 0)
    // Provenance: app.otel.config says where in the file each value is.
    assert.deepEqual(message.config.exporter.endpoint, {
      value: `${receiver.httpEndpoint}/v1/traces`,
      source: 'file',
      path: '.tracer_provider.processors[0].batch.exporter.otlp_http.endpoint'
    })
    // Fastify's logger is on: the warnings are its records, with their code.
    const records = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
    const ignored = records.filter((r) => r.code === 'FOK_WARN_ENV_IGNORED').map((r) => r.msg)
    assert.equal(ignored.length, 1, stdout)
    assert.match(
      ignored[0],
      /3 OTEL_\* variables are set but not acted on \(values not shown\): OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_SERVICE_NAME: OTEL_CONFIG_FILE is set: the configuration file replaces the SDK variables/
    )
    assert.ok(!stderr.includes(SECRET) && !stdout.includes(SECRET), stdout)
  }
)

test(
  'the preload with a configuration file: its exporter and resource follow the file, for the early spans and ' +
    'the plugin\'s alike',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const { code, stderr } = await run(t, fixture('preload/identity-app.mjs'), {
      preload: true,
      env: {
        OTEL_CONFIG_FILE: OTLP_HTTP_FILE,
        TEST_OTLP_HTTP_ENDPOINT: receiver.httpEndpoint,
        TEST_API_KEY: SECRET,
        TEST_SERVICE_NAME: 'preloaded-from-file',
        OTEL_SERVICE_NAME: 'from-env'
      }
    })
    assert.equal(code, 0, stderr)
    const spans = await receiver.waitFor((all) => all.length >= 2)
    assert.deepEqual(spans.map((s) => s.name).sort(), ['GET /hello', 'startup work'])
    for (const span of spans) assert.equal(span.resource['service.name'], 'preloaded-from-file')
    assert.ok(receiver.exports.every((e) => e.transport === 'http' && e.headers['x-api-key'] === SECRET))
    assert.match(stderr, /\[FOK_WARN_ENV_IGNORED\][^\n]*OTEL_SERVICE_NAME: OTEL_CONFIG_FILE is set/)
    assert.doesNotMatch(stderr, /No service name/)
  }
)

test('the preload with a file it cannot use: the process does not start, and says why with a ' +
  'code', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fok-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'otel.yaml')
  writeFileSync(file, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        ' +
    `exporter:\n          otlp_http:\n            headers_list: "authorization=${SECRET}\n`)
  const { code, message, stderr } = await run(t, fixture('preload/identity-app.mjs'), {
    preload: true,
    env: { OTEL_CONFIG_FILE: file }
  })
  assert.notEqual(code, 0)
  assert.equal(message, undefined)
  assert.match(stderr, /FOK_ERR_CONFIG_FILE/)
  assert.match(stderr, /OTEL_CONFIG_FILE="[^"]+otel\.yaml": it is not valid YAML: MISSING_CHAR at line \d+, column \d+/)
  assert.ok(!stderr.includes(SECRET), stderr)
})

test(
  'under the preload, a service name given only to the plugin is applied: every span, the early ones too, ' +
    'and app.otel.config say so',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const { code, message, stderr } = await run(t, fixture('preload/identity-app.mjs'), {
      preload: true,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
        PLUGIN_OPTIONS: JSON.stringify({ serviceName: 'from-code', serviceVersion: '2.0.0', sampler: 'always_on' })
      }
    })
    assert.equal(code, 0, stderr)
    const spans = await receiver.waitFor((all) => all.length >= 2)
    assert.deepEqual(spans.map((s) => s.name).sort(), ['GET /hello', 'startup work'])
    for (const span of spans) {
      assert.equal(span.resource['service.name'], 'from-code')
      assert.equal(span.resource['service.version'], '2.0.0')
    }
    assert.deepEqual(message.serviceName, { value: 'from-code', source: 'options' })
    // No contradiction: no "no service name", and one message for the option that cannot apply.
    assert.doesNotMatch(stderr, /No service name/)
    const notes = stderr.match(/\[FOK_WARN_CONFIG\][^\n]*/g) ?? []
    assert.deepEqual(notes, [
      '[FOK_WARN_CONFIG] FastifyOtelKitWarning: fastify-otel-kit: option sampler is not applied: the SDK was ' +
        'set up by the ' +
        'preload entry (fastify-otel-kit/register) before the application loaded. Set OTEL_TRACES_SAMPLER instead ' +
        '(docs/guides/preload.md).'
    ])
  }
)

test(
  'under the preload, after telemetry went out already: the service name cannot change, and one message says ' +
    'to set OTEL_SERVICE_NAME',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const { code, message, stderr } = await run(t, fixture('preload/identity-app.mjs'), {
      preload: true,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
        EXPORT_BEFORE_REGISTER: '1',
        PLUGIN_OPTIONS: JSON.stringify({ serviceName: 'from-code' })
      }
    })
    assert.equal(code, 0, stderr)
    const spans = await receiver.waitFor((all) => all.length >= 2)
    // One identity for the whole process: nothing went out under two names.
    for (const span of spans) assert.equal(span.resource['service.name'], 'unknown_service:node')
    assert.deepEqual(message.serviceName, { value: 'unknown_service:node', source: 'default' })
    const notes = stderr.match(/\[FOK_WARN_CONFIG\][^\n]*/g) ?? []
    assert.deepEqual(notes, [
      '[FOK_WARN_CONFIG] FastifyOtelKitWarning: fastify-otel-kit: No service name is set (OTEL_SERVICE_NAME, ' +
        'or option ' +
        'serviceName of a plugin registered before the first export): spans and log records are reported as ' +
        '"unknown_service:node".',
      '[FOK_WARN_CONFIG] FastifyOtelKitWarning: fastify-otel-kit: option serviceName is not applied: the SDK ' +
        'was set up by ' +
        'the preload entry (fastify-otel-kit/register) before the application loaded, and it had exported telemetry ' +
        'before this registration, so its identity could not change any more. Set OTEL_SERVICE_NAME instead ' +
        '(docs/guides/preload.md).'
    ])
  }
)
