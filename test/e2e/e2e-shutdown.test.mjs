// Graceful shutdown with the real exporter and receiver: queued spans reach
// the receiver before the process exits, and a dead receiver cannot hold the exit.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

const fixture = fileURLToPath(new URL('../fixtures/otlp-app.mjs', import.meta.url))

function start (args, env) {
  const child = spawn(process.execPath, [fixture, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env }
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  child.stderr.on('data', (chunk) => {
    err += chunk
  })
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal, out, err }))
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      if (out.includes('ready\n')) resolve()
    })
    exited.then((result) => reject(new Error(`exited before ready: ${JSON.stringify(result)}`)))
  })
  // The close-mode service never becomes "ready"; only tests that wait for it see the rejection.
  ready.catch(() => {})
  return { child, ready, exited }
}

test(
  'SIGTERM: all N queued spans reach the receiver before the process exits with code 0',
  { timeout: 60_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const service = start(
      ['7', 'signal'],
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }
    )
    await service.ready
    assert.equal(receiver.spans.length, 0)
    service.child.kill('SIGTERM')
    const { code, signal, out, err } = await service.exited
    assert.equal(signal, null, err)
    assert.equal(code, 0, err)
    assert.match(out, /queued 7/)
    assert.equal(receiver.spans.filter((s) => s.name === 'GET /work/:n').length, 7)
    assert.equal(receiver.spans[0].resource['service.name'], 'shutdown-demo')
  }
)

test('app.close(): the same N spans arrive, and the process then exits by itself', { timeout: 60_000 }, async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const service = start(
    ['5', 'close'],
    { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }
  )
  const { code, out, err } = await service.exited
  assert.equal(code, 0, err)
  assert.match(out, /closed/)
  assert.equal(receiver.spans.length, 5)
})

test(
  'receiver down: SIGTERM ends the process within the shutdown bound, every span counted as failed and named ' +
    'in a warning',
  { timeout: 60_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    const endpoint = receiver.endpoint
    await receiver.stop()
    const bound = 1500
    const service = start(
      ['5', 'signal'],
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, SHUTDOWN_TIMEOUT: String(bound) }
    )
    await service.ready
    const sentAt = performance.now()
    service.child.kill('SIGTERM')
    const { code, out, err } = await service.exited
    const took = performance.now() - sentAt
    assert.equal(code, 0, err)
    // Not a speed goal: without the bound, the exporter's own timeouts (30 s) would hold the exit.
    assert.ok(took < bound + 3000, `exit took ${Math.round(took)} ms with a ${bound} ms bound`)
    // The books at exit balance with nothing exported, and each lost span is in exactly one
    // warning: a failed export (retries given up) or the bound's abandonment, whichever came first.
    const stats = JSON.parse(/^stats (.*)$/m.exec(out)[1])
    assert.deepEqual(
      { created: stats.created, queued: stats.queued, exported: stats.exported, failed: stats.failed },
      { created: 5, queued: 0, exported: 0, failed: 5 }
    )
    let named = 0
    for (const [, code, message] of err.matchAll(/\[(FOK_WARN_[A-Z_]+)\] FastifyOtelKitWarning: ([^\n]*)/g)) {
      if (code === 'FOK_WARN_EXPORT_FAILED') named += Number(/could not export (\d+) span/.exec(message)[1])
      if (code === 'FOK_WARN_SHUTDOWN_ABANDONED') named += Number(/: (\d+) span\(s\)/.exec(message)[1])
    }
    assert.equal(named, 5, err)
  }
)
