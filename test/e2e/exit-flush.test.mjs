// A process that simply runs out of work (a script, a job) flushes at beforeExit: a failing
// processor cannot crash it, and a collector that is down or never answers cannot keep it alive
// past the bound or leave spans uncounted. Real child processes, no signals.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { RecordingExporter } from '../helpers.mjs'

const job = fileURLToPath(new URL('../fixtures/exit-job.mjs', import.meta.url))

async function runJob (t, mode, env = {}) {
  const child = spawn(process.execPath, [job, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env }
  })
  t.after(() => child.kill('SIGKILL'))
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  child.stderr.on('data', (chunk) => {
    err += chunk
  })
  const [code] = await once(child, 'exit')
  const stats = /^stats (.*)$/m.exec(out)
  return { code, out, err, stats: stats === null ? undefined : JSON.parse(stats[1]) }
}

function warningsIn (stderr) {
  return [...stderr.matchAll(/\[(FOK_WARN_[A-Z_]+)\] FastifyOtelKitWarning: fastify-otel-kit: ([^\n]*)/g)].map(
    ([, code, message]) => ({ code, message })
  )
}

test("app.otel.forceFlush resolves when a user processor's flush rejects, " +
  "and the failure is reported (as the SDK's MultiSpanProcessor does)", async (t) => {
  const seen = []
  const listener = (warning) => {
    if (warning.name === 'FastifyOtelKitWarning') seen.push(warning.message)
  }
  process.on('warning', listener)
  t.after(() => process.removeListener('warning', listener))
  const exporter = new RecordingExporter()
  const failing = {
    onStart () {},
    onEnd () {},
    async forceFlush () {
      throw new Error('second backend down')
    },
    async shutdown () {}
  }
  const app = Fastify()
  t.after(() => app.close())
  // Lifecycle spans off: a cold first request on a busy machine may cross the slow threshold, and this counts spans.
  await app.register(otelPlugin, {
    serviceName: 'flush',
    exporter,
    spanProcessors: [failing],
    handleSignals: false,
    lifecycleSpans: 'off'
  })
  app.get('/', async () => 'ok')
  await app.inject({ url: '/' })
  await app.otel.forceFlush()
  // The plugin's own processor still flushed.
  assert.equal(exporter.spans.length, 1)
  await new Promise((resolve) => setImmediate(resolve))
  assert.ok(
    seen.some((m) => m.includes('forceFlush failed: second backend down')),
    JSON.stringify(seen)
  )
})

test(
  "a job with a failing user span processor (the README's second BatchSpanProcessor, backend down) exits 0 on its own",
  { timeout: 30_000 },
  async (t) => {
    const { code, out, err, stats } = await runJob(t, 'failing-processor')
    assert.equal(code, 0, err)
    assert.match(out, /work done/)
    assert.doesNotMatch(err, /Unhandled/)
    assert.match(err, /forceFlush failed: .*second backend down/)
    // The plugin's own export still happened.
    assert.equal(stats.exported, 1, JSON.stringify(stats))
  }
)

test(
  'collector down, shutdownTimeoutMillis 1000: a job that runs out of work exits, its span counted as failed and ' +
    'named in a warning',
  { timeout: 60_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    const endpoint = receiver.endpoint
    await receiver.stop()
    const { code, err, stats } = await runJob(
      t,
      'collector-down',
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }
    )
    assert.equal(code, 0, err)
    assert.deepEqual(
      { created: stats.created, queued: stats.queued, failed: stats.failed },
      { created: 1, queued: 0, failed: 1 },
      JSON.stringify(stats)
    )
    const named = warningsIn(err).filter((w) =>
      ['FOK_WARN_EXPORT_FAILED', 'FOK_WARN_SHUTDOWN_ABANDONED'].includes(w.code)
    )
    assert.equal(named.length, 1, err)
  }
)

test(
  'an exporter that never answers and holds no handle: the job still exits, its span counted as failed and ' +
    'warned about',
  { timeout: 30_000 },
  async (t) => {
    const { code, err, stats } = await runJob(t, 'silent-exporter')
    assert.equal(code, 0, err)
    assert.deepEqual(
      { created: stats.created, queued: stats.queued, failed: stats.failed },
      { created: 1, queued: 0, failed: 1 },
      JSON.stringify(stats)
    )
    const abandoned = warningsIn(err).filter((w) => w.code === 'FOK_WARN_SHUTDOWN_ABANDONED')
    assert.equal(abandoned.length, 1, err)
    assert.match(abandoned[0].message, /1 span\(s\) could not be exported and are counted as failed/)
  }
)
