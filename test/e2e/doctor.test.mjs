// `fastify-otel-kit doctor` against a live receiver: configuration with sources, a smoke span,
// and the queue size check.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

function doctor (args, env = {}, cwd = undefined) {
  const base = { ...process.env }
  for (const key of Object.keys(base)) if (key.startsWith('OTEL_')) delete base[key]
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'doctor', ...args], { env: { ...base, ...env }, cwd }, (error, stdout, stderr) => {
      resolve({ code: error?.code ?? 0, stdout, stderr })
    })
  })
}

test('doctor shows each value with its source, and the environment overriding the code', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const dir = mkdtempSync(join(tmpdir(), 'doctor-'))
  writeFileSync(join(dir, 'otel.json'), JSON.stringify({ serviceName: 'payment-processor', batch: 'aggressive' }))
  const { code, stdout } = await doctor(['--config', join(dir, 'otel.json')], {
    OTEL_SERVICE_NAME: 'billing',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20hidden'
  })
  assert.equal(code, 0, stdout)
  assert.match(stdout, /serviceName\s+billing\s+env OTEL_SERVICE_NAME/)
  assert.match(stdout, /batch\.maxQueueSize\s+8192\s+options/)
  assert.match(stdout, /exporter\.protocol\s+http\/protobuf\s+default/)
  assert.match(stdout, /exporter\.endpoint\s+http:\/\/127\.0\.0\.1:\d+\/v1\/traces\s+env OTEL_EXPORTER_OTLP_ENDPOINT/)
  // The settings line up: each source starts in the same column, the longest names included,
  // except after a value too long for the column (a list of many members).
  const settings = stdout.split('\n\n')[1].split('\n').slice(1)
  const sourceColumns = new Set(settings.map((line) => line.search(/ {2}(default|options|env \S+)$/)))
  assert.ok(settings.length > 50, settings.join('\n'))
  const columns = settings.map((line) => line.search(/ {2}(default|options|env \S+)$/))
  const usual = columns.filter((c) => c === columns[0]).length
  assert.ok(usual >= settings.length - 4, `${[...sourceColumns].join(', ')}\n${settings.join('\n')}`)
  assert.ok(settings.some((line) => line.startsWith('  spanLimits.attributePerEventCountLimit  ')))
  assert.match(
    stdout,
    /! OTEL_SERVICE_NAME overrides option serviceName: using "billing" from the environment instead of "payment-processor"/
  )
  assert.match(stdout, /Propagation: tracecontext, baggage, b3multi/)
  assert.match(stdout, /Sampler: parentbased_always_on/)
  assert.match(stdout, /Batch: aggressive: queue 8192, delay 10000 ms, batch 1024/)
  assert.doesNotMatch(stdout, /hidden/)
  // The smoke span really reached the receiver, with the resolved service name.
  assert.match(stdout, /✓ traces: http\/protobuf to http:\/\/127\.0\.0\.1:\d+\/v1\/traces accepted a smoke span/)
  assert.equal(receiver.spans.length, 1)
  assert.equal(receiver.spans[0].name, 'fastify-otel-kit doctor smoke test')
  assert.equal(receiver.spans[0].resource['service.name'], 'billing')
  assert.equal(receiver.exports[0].headers.authorization, 'Bearer hidden')
})

test('doctor fails (exit 1) and says what to check when the endpoint does not accept the export', async () => {
  const receiver = await OtlpReceiver.start()
  const endpoint = receiver.endpoint
  await receiver.stop()
  const { code, stdout } = await doctor(
    ['--endpoint', endpoint, '--timeout', '3000'],
    { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }
  )
  assert.equal(code, 1)
  assert.match(stdout, /✗ traces: export over grpc to http:\/\/127\.0\.0\.1:\d+ failed: /)
  assert.match(stdout, /- nothing listens on 127\.0\.0\.1:\d+ \(connection refused\): is the collector running, on this port\?/)
})

test('a host name that cannot be resolved is named as such, with what to check', async () => {
  // .invalid never resolves (RFC 2606); without DNS at all the lookup fails as EAI_AGAIN, said the same way.
  const { code, stdout } = await doctor(['--endpoint', 'http://collector.invalid:4318', '--timeout', '8000'])
  assert.equal(code, 1)
  assert.match(stdout, /- collector\.invalid:4318 cannot be reached \((ENOTFOUND|EAI_AGAIN)\): check the host name\./)
})

test('a setting the environment turns off or gets wrong fails the check (exit 1): a deploy gate must not ' +
  'pass it', async () => {
  const cases = [
    [{ OTEL_METRICS_EXPORTER: 'prometeus' }, /✗ OTEL_METRICS_EXPORTER has a value, or part of one, that is not used/],
    [{ OTEL_EXPORTER_PROMETHEUS_PORT: 'abc' }, /✗ OTEL_EXPORTER_PROMETHEUS_PORT has a value, or part of one, that is not used/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }, /✗ .*\[FOK_WARN_EXPORT_DISABLED\][^]*✗ OTEL_EXPORTER_OTLP_ENDPOINT has/],
    // The credential written with a colon: no header at all would be sent.
    [
      { OTEL_EXPORTER_OTLP_HEADERS: 'Authorization: Bearer sk-live-4242' },
      /✗ OTEL_EXPORTER_OTLP_HEADERS: skipping member 1 \(not key=value\); no member of it is applied[^]*✗ OTEL_EXPORTER_OTLP_HEADERS has/
    ],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'team=payments,region' }, /✗ OTEL_RESOURCE_ATTRIBUTES has a value, or part of one, that is not used/],
    [{ OTEL_PROPAGATORS: 'tracecontext,xray' }, /✗ OTEL_PROPAGATORS names "xray"[^]*✗ OTEL_PROPAGATORS has/],
    [{ OTEL_NODE_RESOURCE_DETECTORS: 'host,kubernetes' }, /✗ OTEL_NODE_RESOURCE_DETECTORS names "kubernetes"/],
    [{ OTEL_METRICS_EXPORTER: 'otlp,prometeus' }, /✗ OTEL_METRICS_EXPORTER names "prometeus"[^]*✗ OTEL_METRICS_EXPORTER has/]
  ]
  for (const [env, expected] of cases) {
    const { code, stdout } = await doctor(['--no-export'], env)
    assert.equal(code, 1, `${JSON.stringify(env)}: ${stdout}`)
    assert.match(stdout, expected)
    assert.doesNotMatch(stdout, /All checks passed|every OTEL_\* variable set is acted on|sk-live-4242/)
  }
  const { code, stdout } = await doctor(['--no-export'], { OTEL_SERVICE_NAME: 'billing' })
  assert.equal(code, 0, stdout)
})

test('the queue check applies the sizing rule and says what to set', async () => {
  const tooSmall = await doctor(['--no-export', '--peak-rps', '1000', '--spans-per-request', '3'])
  assert.equal(tooSmall.code, 1)
  assert.match(tooSmall.stdout, /Queue sizing \(peak 1000 req\/s x 3 spans x 5 s delay = 15000 spans\)/)
  assert.match(tooSmall.stdout, /✗ maxQueueSize 2048 will drop spans at peak: it needs at least 15000\./)
  assert.match(tooSmall.stdout, /Set batch\.maxQueueSize \(or OTEL_BSP_MAX_QUEUE_SIZE\) to 19456/)
  assert.match(tooSmall.stdout, /lower batch\.scheduledDelayMillis \(OTEL_BSP_SCHEDULE_DELAY\) to 682 ms or less/)
  // The byte bound (16 MiB by default) counts the spans' encoded size: 15000 of them fit.
  assert.match(tooSmall.stdout, /✓ maxQueueBytes 16 MiB holds the 15000 spans \(about 7\.2 MiB encoded/)

  // --spans-per-request defaults to 3.
  const byDefault = await doctor(['--no-export', '--peak-rps', '1000'])
  assert.match(byDefault.stdout, /Queue sizing \(peak 1000 req\/s x 3 spans x 5 s delay = 15000 spans\)/)

  const enough = await doctor(['--no-export', '--peak-rps', '100', '--spans-per-request', '3'], {
    OTEL_BSP_MAX_QUEUE_SIZE: '4096'
  })
  assert.equal(enough.code, 0)
  assert.match(enough.stdout, /✓ maxQueueSize 4096 holds the 1500 spans/)

  // Enough spans by count, too many bytes for the byte bound: said, with the option to set.
  const tooManyBytes = await doctor(['--no-export', '--peak-rps', '4000', '--spans-per-request', '3'], {
    OTEL_BSP_MAX_QUEUE_SIZE: '60000'
  })
  assert.equal(tooManyBytes.code, 1)
  assert.match(tooManyBytes.stdout, /✓ maxQueueSize 60000 holds the 60000 spans/)
  assert.match(tooManyBytes.stdout, /✗ maxQueueBytes 16 MiB will drop spans at peak: the 60000 spans take about 29 MiB/)
  assert.match(tooManyBytes.stdout, /Set batch\.maxQueueBytes to 38797312 \(37 MiB; an option, no variable\)/)
  assert.match(tooManyBytes.stdout, /lower batch\.scheduledDelayMillis to 2796 ms or less/)
})

test('--no-export sends nothing (no span, record or metrics reach the endpoint); --service-name sets the ' +
  'name; --help prints the options', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const { code, stdout } = await doctor(
    ['--no-export', '--service-name', 'ledger', '--endpoint', receiver.httpEndpoint],
    { OTEL_LOGS_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'otlp' }
  )
  assert.equal(code, 0, stdout)
  assert.match(stdout, /serviceName\s+ledger\s+options/)
  // Enough time for anything sent to have arrived: a smoke export takes milliseconds on loopback.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const { spans, logs, metrics, exports } = receiver
  assert.deepEqual([spans.length, logs.length, metrics.length, exports.length], [0, 0, 0, 0])

  const help = await doctor(['--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^Usage: fastify-otel-kit doctor \[options\]/)
  assert.match(help.stdout, /--no-export +send nothing/)
})

test('usage errors exit with 2', async () => {
  const { code, stderr } = await doctor(['--peak-rps', 'lots'])
  assert.equal(code, 2)
  assert.match(stderr, /--peak-rps must be a positive number/)
})

test('doctor checks that the application and the SDK share one @opentelemetry/api', async (t) => {
  const clean = await doctor(['--no-export'])
  assert.match(
    clean.stdout,
    /OpenTelemetry API\n {2}✓ one copy of @opentelemetry\/api \(1\.10\.\d+\), shared by the application, fastify-otel-kit, @opentelemetry\/sdk-trace, @opentelemetry\/sdk-logs/
  )
  // An application folder with a copy of its own.
  const app = mkdtempSync(join(tmpdir(), 'doctor-api-'))
  mkdirSync(join(app, 'node_modules', '@opentelemetry'), { recursive: true })
  cpSync(
    fileURLToPath(new URL('../../node_modules/@opentelemetry/api', import.meta.url)),
    join(app, 'node_modules', '@opentelemetry', 'api'),
    { recursive: true }
  )
  writeFileSync(join(app, 'package.json'), '{"name":"app"}')
  t.after(() => rmSync(app, { recursive: true, force: true }))
  const twice = await doctor(['--no-export'], {}, app)
  assert.equal(twice.code, 1)
  assert.match(
    twice.stdout,
    /✗ @opentelemetry\/api is installed 2 times: .*\(used by the application\); .*\(used by fastify-otel-kit/
  )
})

test('doctor says whether the preload is in NODE_OPTIONS', async () => {
  const without = await doctor(['--no-export'], { NODE_OPTIONS: '' })
  assert.match(without.stdout, /Preload\n {2}- NODE_OPTIONS has no fastify-otel-kit\/register/)
  const withIt = await doctor(['--no-export'], {
    NODE_OPTIONS: '--max-old-space-size=512 --import fastify-otel-kit/register'
  })
  assert.match(
    withIt.stdout,
    /Preload\n {2}✓ NODE_OPTIONS has --import fastify-otel-kit\/register: the SDK and the instrumentations start before the application loads/
  )
})
