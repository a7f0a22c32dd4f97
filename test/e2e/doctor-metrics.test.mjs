// `fastify-otel-kit doctor` shows the metric pipeline the configuration makes and runs it: one
// request's metrics exported over OTLP to a real receiver, the Prometheus endpoint started on its
// port and scraped; a collector that is not there and a port already taken fail the check.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { freePort } from '../servers.mjs'

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

function doctor (args, env = {}) {
  const base = { ...process.env }
  for (const key of Object.keys(base)) if (key.startsWith('OTEL_')) delete base[key]
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'doctor', ...args], { env: { ...base, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error?.code ?? 0, stdout, stderr })
    })
  })
}

test("OTLP and Prometheus: the pipeline shown, one request's metrics accepted by the " +
  'collector, the endpoint scraped', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const port = await freePort()
  const { code, stdout } = await doctor([], {
    OTEL_SERVICE_NAME: 'checked',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
    OTEL_METRICS_EXPORTER: 'otlp,prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
    OTEL_METRIC_EXPORT_INTERVAL: '15000'
  })
  assert.equal(code, 0, stdout)
  assert.match(stdout, /^Metrics$/m)
  assert.match(
    stdout,
    new RegExp(
      `- otlp: http/protobuf to ${receiver.httpEndpoint}/v1/metrics, ` +
        'every 15000 ms \\(timeout 15000 ms\\), cumulative temporality'
    )
  )
  assert.match(stdout, new RegExp(`- prometheus: an endpoint at http://127\\.0\\.0\\.1:${port}/metrics to scrape`))
  assert.match(stdout, /✓ otlp: http\/protobuf to .* accepted \d+ metric data point\(s\)/)
  // One request to the collector, as the doctor's guide says: the check is no load on it.
  assert.equal(receiver.exports.filter((e) => e.signal === 'metrics').length, 1)
  assert.match(stdout, /✓ prometheus: .* served a scrape with the request metrics/)
  const duration = receiver.metrics.find((m) => m.name === 'http.server.request.duration')
  assert.equal(duration.resource['service.name'], 'checked')
  assert.equal(duration.dataPoints[0].attributes['http.route'], '/fastify-otel-kit/doctor')
})

test('no collector, a port already taken: both fail, with what to do', async (t) => {
  const taken = createServer((req, res) => res.end('not prometheus'))
  taken.listen(0, '127.0.0.1')
  await once(taken, 'listening')
  t.after(() => taken.close())
  const dead = await freePort()
  const { code, stdout } = await doctor([], {
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${dead}/v1/metrics`,
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_METRICS_EXPORTER: 'otlp,prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(taken.address().port)
  })
  assert.equal(code, 1, stdout)
  assert.match(stdout, /✗ otlp: export over http\/protobuf to .* failed: .*ECONNREFUSED/)
  assert.match(
    stdout,
    /✗ prometheus: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\).*\n.*OTEL_EXPORTER_PROMETHEUS_PORT/
  )
})

test('metrics off: said, and nothing checked', async () => {
  const { stdout } = await doctor(['--no-export'], { OTEL_METRICS_EXPORTER: 'none' })
  assert.match(stdout, /- metrics are off \(OTEL_METRICS_EXPORTER\): no MeterProvider, nothing recorded/)
})
