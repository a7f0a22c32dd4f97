// `fastify-otel-kit doctor` with a configuration file and with variables nothing acts on: the table
// says where in the file each value is, the variables the file replaces are named (never their
// values), the smoke span goes where the file says, and a file that cannot be used fails the check.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))
const OTLP_HTTP_FILE = fileURLToPath(new URL('../fixtures/config-files/otlp-http.yaml', import.meta.url))
const SECRET = 'k3y-5e7a-never-in-output'

function doctor (args, env = {}) {
  const base = { ...process.env }
  for (const key of Object.keys(base)) if (key.startsWith('OTEL_')) delete base[key]
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'doctor', ...args], { env: { ...base, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error?.code ?? 0, stdout, stderr })
    })
  })
}

/** A configuration file holding `text`, in a directory removed after the test. */
function configFile (t, text) {
  const dir = mkdtempSync(join(tmpdir(), 'fok-doctor-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'otel.yaml')
  writeFileSync(file, text)
  return file
}

test('doctor with a configuration file: values with their place in the file, the replaced variables named, ' +
  'the smoke span where the file says', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const { code, stdout } = await doctor([], {
    OTEL_CONFIG_FILE: OTLP_HTTP_FILE,
    TEST_OTLP_HTTP_ENDPOINT: receiver.httpEndpoint,
    TEST_API_KEY: SECRET,
    OTEL_SERVICE_NAME: 'from-env',
    OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${SECRET}`
  })
  assert.equal(code, 0, stdout)
  assert.match(stdout, /^Configuration \(configuration file > plugin options > defaults\)$/m)
  assert.match(stdout, /serviceName\s+from-file\s+file \.resource\.attributes\[0\]/)
  assert.match(stdout, /exporter\.protocol\s+http\/protobuf\s+file \.tracer_provider\.processors\[0\]\.batch\.exporter\.otlp_http$/m)
  assert.match(stdout, /batch\.scheduledDelayMillis\s+100\s+file \.tracer_provider\.processors\[0\]\.batch\.schedule_delay/)
  // The batch is custom because of the file, not of plugin options nobody gave.
  assert.match(stdout, /batch\.preset\s+custom\s+file \.tracer_provider\.processors\[0\]\.batch\.schedule_delay/)
  assert.match(stdout, /✓ OTEL_CONFIG_FILE=.+otlp-http\.yaml: read and valid/)
  assert.match(stdout, /! 2 OTEL_\* variables are set but not acted on \(values not shown\):/)
  assert.match(stdout, /OTEL_EXPORTER_OTLP_HEADERS\s+OTEL_CONFIG_FILE is set: the configuration file replaces the SDK variables/)
  assert.match(stdout, /OTEL_SERVICE_NAME\s+OTEL_CONFIG_FILE is set/)
  assert.ok(!stdout.includes(SECRET), stdout)
  // The smoke span went over OTLP/HTTP, with the file's header and the file's service name.
  assert.equal(receiver.spans.length, 1)
  assert.equal(receiver.spans[0].resource['service.name'], 'from-file')
  assert.equal(receiver.exports[0].transport, 'http')
  assert.equal(receiver.exports[0].headers['x-api-key'], SECRET)
})

test('doctor: a file variable reference with no default and no value (a secret not mounted): the check fails, ' +
  'naming the variable', async () => {
  const { code, stdout } = await doctor(['--no-export'], {
    OTEL_CONFIG_FILE: OTLP_HTTP_FILE,
    TEST_OTLP_HTTP_ENDPOINT: 'http://127.0.0.1:4318'
  })
  assert.equal(code, 1, stdout)
  assert.match(stdout, /✗ .*otlp-http\.yaml: it refers to \$\{TEST_API_KEY\} without a default, and that variable is not set/)
  assert.match(stdout, /Some checks failed/)
})

test('doctor: a configuration file header written "Authorization: Bearer ..." (no member applied) fails the ' +
  'check, named by its place in the file, never its text', async (t) => {
  const file = configFile(t, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        exporter:\n' +
    `          otlp_http:\n            endpoint: http://127.0.0.1:4318/v1/traces\n            headers_list: "Authorization: Bearer ${SECRET}"\n`)
  const { code, stdout } = await doctor(['--no-export'], { OTEL_CONFIG_FILE: file })
  assert.equal(code, 1, stdout)
  assert.match(stdout, /✗ .*otel\.yaml at \.tracer_provider\.processors\[0\]\.batch\.exporter\.otlp_http\.headers_list: skipping member 1 \(not key=value\)/)
  assert.ok(!stdout.includes(SECRET), stdout)
})

test('doctor with a file it cannot use: the check fails (exit 1) with the coded reason, never the file\'s ' +
  'text', async (t) => {
  const file = configFile(t, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        ' +
    `exporter:\n          zipkin:\n            endpoint: http://u:${SECRET}@z:9411\n`)
  const { code, stdout } = await doctor([], { OTEL_CONFIG_FILE: file })
  assert.equal(code, 1, stdout)
  assert.match(
    stdout,
    /✗ OTEL_CONFIG_FILE=".+otel\.yaml": \.tracer_provider\.processors\[0\]\.batch\.exporter: exporter "zipkin" is not supported by this package/
  )
  assert.match(stdout, /Some checks failed/)
  assert.ok(!stdout.includes(SECRET), stdout)
})

test('doctor names the variables nothing acts on, and says so when every one is acted on', async () => {
  const typo = await doctor(['--no-export'], {
    OTEL_SERVIC_NAME: 'checkout',
    OTEL_METRICS_EXEMPLAR_FILTER: 'always_on'
  })
  assert.equal(typo.code, 0, typo.stdout)
  assert.match(typo.stdout, /OTEL_METRICS_EXEMPLAR_FILTER\s+exemplars are not recorded by this package/)
  assert.match(typo.stdout, /OTEL_SERVIC_NAME\s+not a variable this package knows \(did you mean OTEL_SERVICE_NAME\?\)/)
  assert.ok(!typo.stdout.includes('checkout'), typo.stdout)
  const clean = await doctor(['--no-export'], { OTEL_SERVICE_NAME: 'checkout' })
  assert.match(clean.stdout, /✓ every OTEL_\* variable set is acted on/)
  assert.match(clean.stdout, /^Configuration \(environment > plugin options > defaults\)$/m)
})
