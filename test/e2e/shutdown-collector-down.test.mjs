// SIGTERM during a collector outage, in real child processes: whatever the shutdown bound leaves
// behind is counted as failed and said in a warning before the process exits, with a request
// still in flight, and under the preload (whose shared SDK is never released). The books at exit
// balance with failed == created, and every failed span is named in exactly one warning.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

const inflightApp = fileURLToPath(new URL('../fixtures/inflight-app.mjs', import.meta.url))
const preloadJob = fileURLToPath(new URL('../fixtures/preload-job.mjs', import.meta.url))

/** An OTLP endpoint with nothing listening: a real receiver's port, after it stopped. */
async function downEndpoint () {
  const receiver = await OtlpReceiver.start()
  const endpoint = receiver.endpoint
  await receiver.stop()
  return endpoint
}

/** An OTLP/HTTP endpoint that accepts connections and never answers (a collector hung, or a black hole). */
async function silentEndpoint (t) {
  const sockets = new Set()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  return `http://127.0.0.1:${server.address().port}`
}

/** Runs `file`, sends SIGTERM once stdout shows `marker`, and resolves with what the process said. */
async function stopWhen (t, marker, file, { preload = false, env = {}, secondSignalAfterMillis } = {}) {
  const child = spawn(process.execPath, [...(preload ? ['--import', 'fastify-otel-kit/register'] : []), file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The spans' books and warnings are counted here: metrics stay out of them unless a test
    // turns them on (the metrics' own shutdown: test/e2e/metrics-export.test.mjs).
    env: { ...process.env, OTEL_METRICS_EXPORTER: 'none', ...env }
  })
  t.after(() => child.kill('SIGKILL'))
  let out = ''
  let err = ''
  child.stderr.on('data', (chunk) => {
    err += chunk
  })
  child.stdout.on('data', (chunk) => {
    out += chunk
    if (out.includes(`${marker}\n`) && !child.signalled) {
      child.signalled = true
      child.kill('SIGTERM')
      if (secondSignalAfterMillis !== undefined) setTimeout(() => child.kill('SIGTERM'), secondSignalAfterMillis)
    }
  })
  const [code, signal] = await once(child, 'exit')
  assert.ok(child.signalled, `never reached "${marker}": ${err}`)
  const stats = /^stats (.*)$/m.exec(out)
  return { code, signal, err, stats: stats === null ? undefined : JSON.parse(stats[1]), warnings: warningsIn(err) }
}

/** The process warnings a child printed (Fastify's logger is off, and the preload has none). */
function warningsIn (stderr) {
  return [...stderr.matchAll(/\[(FOK_WARN_[A-Z_]+)\] FastifyOtelKitWarning: fastify-otel-kit: ([^\n]*)/g)].map(
    ([, code, message]) => ({ code, message })
  )
}

/** How many spans the warnings say were lost: failed exports and abandonment at the bound. */
function spansNamedAsLost (warnings) {
  let total = 0
  for (const { code, message } of warnings) {
    if (code === 'FOK_WARN_EXPORT_FAILED') total += Number(/could not export (\d+) span/.exec(message)[1])
    if (code === 'FOK_WARN_SHUTDOWN_ABANDONED') total += Number(/: (\d+) span\(s\)/.exec(message)[1])
  }
  return total
}

describe('SIGTERM with the collector down', { concurrency: true }, () => {
  test(
    "a request in flight: the bound's leftovers are counted as failed and warned about before exit 0",
    { timeout: 60_000 },
    async (t) => {
      const bound = 1500
      const { code, err, stats, warnings } = await stopWhen(t, 'in flight', inflightApp, {
        env: {
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          OTEL_EXPORTER_OTLP_ENDPOINT: await downEndpoint(),
          SHUTDOWN_TIMEOUT: String(bound)
        }
      })
      assert.equal(code, 0, err)
      // The request held close past three quarters of the bound: said, with its code.
      assert.ok(warnings.some((w) => w.code === 'FOK_WARN_SHUTDOWN_SLOW'), err)
      // Unreachable, the exporter retries for about 4 s: longer than the bound, so spans are left.
      const abandoned = warnings.filter((w) => w.code === 'FOK_WARN_SHUTDOWN_ABANDONED')
      assert.equal(abandoned.length, 1, err)
      assert.match(
        abandoned[0].message,
        new RegExp(
          `^shutdown did not finish within shutdownTimeoutMillis \\(${bound} ms\\): \\d+ span\\(s\\) could not be ` +
            'exported and are counted as failed \\(the last export attempt failed: .+\\)\\.$'
        )
      )
      assert.ok(stats.created >= 5, JSON.stringify(stats))
      assert.equal(stats.queued, 0, JSON.stringify(stats))
      assert.equal(stats.exported, 0)
      assert.equal(stats.failed, stats.created, JSON.stringify(stats))
      assert.equal(spansNamedAsLost(warnings), stats.failed, err)
    }
  )

  test(
    'under the preload, with the plugin sharing its SDK and a request in flight: the same books and warnings',
    { timeout: 60_000 },
    async (t) => {
      const { code, err, stats, warnings } = await stopWhen(t, 'in flight', inflightApp, {
        preload: true,
        env: {
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          OTEL_EXPORTER_OTLP_ENDPOINT: await downEndpoint(),
          OTEL_SERVICE_NAME: 'inflight',
          OTEL_BSP_SCHEDULE_DELAY: '60000'
        }
      })
      assert.equal(code, 0, err)
      assert.ok(stats.created >= 5, JSON.stringify(stats))
      assert.equal(stats.queued, 0, JSON.stringify(stats))
      assert.equal(stats.failed, stats.created, JSON.stringify(stats))
      assert.equal(spansNamedAsLost(warnings), stats.failed, err)
    }
  )

  test(
    'under the preload without Fastify: every span is named in a warning before exit 0',
    { timeout: 60_000 },
    async (t) => {
      const { code, err, warnings } = await stopWhen(t, 'ready', preloadJob, {
        preload: true,
        env: {
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          OTEL_EXPORTER_OTLP_ENDPOINT: await downEndpoint(),
          OTEL_SERVICE_NAME: 'job',
          OTEL_BSP_SCHEDULE_DELAY: '60000'
        }
      })
      assert.equal(code, 0, err)
      assert.equal(spansNamedAsLost(warnings), 5, err)
    }
  )

  test(
    'a second SIGTERM during the shutdown exits at once with 1, and the spans left are still named',
    { timeout: 60_000 },
    async (t) => {
      const { code, err, warnings } = await stopWhen(t, 'ready', preloadJob, {
        preload: true,
        secondSignalAfterMillis: 500,
        env: {
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          OTEL_EXPORTER_OTLP_ENDPOINT: await downEndpoint(),
          OTEL_SERVICE_NAME: 'job',
          OTEL_BSP_SCHEDULE_DELAY: '60000'
        }
      })
      assert.equal(code, 1, err)
      assert.equal(spansNamedAsLost(warnings), 5, err)
      assert.ok(warnings.some((w) => w.code === 'FOK_WARN_SHUTDOWN_INTERRUPTED'), err)
      const abandoned = warnings.filter((w) => w.code === 'FOK_WARN_SHUTDOWN_ABANDONED')
      assert.ok(abandoned.length > 0 && abandoned.every((w) => w.message.startsWith('shutdown was cut short by a ' +
        'second signal: ')), err)
    }
  )

  test(
    'a collector that never answers, metrics on: exit 0 within the bound; the spans left are named with why, ' +
      'the metrics as lost at shutdown, and no diagnostic about a flush after shutdown',
    { timeout: 60_000 },
    async (t) => {
      const bound = 1500
      const started = Date.now()
      const { code, err, stats, warnings } = await stopWhen(t, 'in flight', inflightApp, {
        env: {
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
          OTEL_EXPORTER_OTLP_ENDPOINT: await silentEndpoint(t),
          OTEL_METRICS_EXPORTER: 'otlp',
          SHUTDOWN_TIMEOUT: String(bound),
          SLOW_MILLIS: '50'
        }
      })
      assert.equal(code, 0, err)
      assert.ok(Date.now() - started < 20_000)
      const abandoned = warnings.filter((w) => w.code === 'FOK_WARN_SHUTDOWN_ABANDONED')
      assert.equal(abandoned.length, 1, err)
      assert.match(abandoned[0].message, /counted as failed \(an export was still waiting for its answer\)\.$/)
      assert.equal(spansNamedAsLost(warnings), stats.failed, err)
      // The last collection, cut off at the bound: said, as lost, not as if the service ran on.
      const metrics = warnings.filter((w) => w.code === 'FOK_WARN_METRICS_EXPORT_FAILED')
      assert.ok(metrics.length > 0, err)
      assert.ok(metrics.every((w) => w.message.endsWith('Metrics were shutting down: these are lost.')), err)
      assert.ok(!err.includes('after MeterProvider shutdown'), err)
      assert.ok(warnings.every((w) => w.code !== 'FOK_WARN_OTEL_DIAGNOSTIC'), err)
    }
  )
})
