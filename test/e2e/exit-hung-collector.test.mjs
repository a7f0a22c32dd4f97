// app.close() with a collector that accepts connections and never answers: close returns at the
// shutdown bound, and then nothing of the export may keep the process alive. The exports still
// under way (spans and log records, each on its own transport) are cancelled when the bound
// abandons them, instead of running on to the exporter's 20 s timeout. For every protocol.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { silentCollector } from '../helpers.mjs'

const fixture = fileURLToPath(new URL('../fixtures/hung-collector-app.mjs', import.meta.url))

for (const protocol of ['grpc', 'http/protobuf', 'http/json']) {
  test(
  `${protocol}: a collector that never answers: after app.close() the process exits by itself, long before the ` +
    'export timeout',
  { timeout: 8_000 },
  async (t) => {
    const collector = await silentCollector(t)
    let connected = 0
    collector.server.on('connection', () => {
      connected++
    })
    const child = spawn(
      process.execPath,
      [fixture, collector.endpoint, protocol],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    )
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    child.stderr.on('data', (chunk) => {
      err += chunk
    })
    // Before the fix, the hung calls held the process until their 20 s deadline: the test's 8 s
    // timeout fails it.
    const [code, signal] = await once(child, 'exit')
    assert.equal(signal, null, err)
    assert.equal(code, 0, err)
    assert.ok(connected > 0, 'the exports never reached the collector')
    const stats = JSON.parse(out.match(/^closed (.*)$/m)?.[1] ?? 'null')
    assert.ok(stats !== null, out + err)
    // Abandoned at the bound: counted as failed, spans and log records alike, and said so.
    assert.equal(stats.failed, stats.created, JSON.stringify(stats))
    assert.ok(stats.created > 0)
    assert.equal(stats.logs.failed, stats.logs.created, JSON.stringify(stats.logs))
    assert.ok(stats.logs.created > 0)
    assert.match(err, /FOK_WARN_SHUTDOWN_ABANDONED/)
  }
  )

  test(
  `${protocol}: abandoned in the tick a batch was taken for export: no call is made afterwards, nothing holds ` +
    'the process',
  { timeout: 8_000 },
  async (t) => {
    const collector = await silentCollector(t)
    let connected = 0
    collector.server.on('connection', () => {
      connected++
    })
    const race = fileURLToPath(new URL('../fixtures/abandon-race-app.mjs', import.meta.url))
    const child = spawn(process.execPath, [race, collector.endpoint, protocol], { stdio: ['ignore', 'pipe', 'pipe'] })
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    // Before the fix the export went ahead on a new gRPC client after the exporter was shut down,
    // and its call held the process until the 20 s deadline: the test's 8 s timeout fails it.
    const [code] = await once(child, 'exit')
    assert.equal(code, 0)
    const stats = JSON.parse(out.match(/^abandoned (.*)$/m)?.[1] ?? 'null')
    assert.deepEqual(
      { created: stats.created, failed: stats.failed, queued: stats.queued },
      { created: 1, failed: 1, queued: 0 }
    )
    assert.equal(connected, 0, 'a call was made after the exporter was shut down')
  }
  )
}
