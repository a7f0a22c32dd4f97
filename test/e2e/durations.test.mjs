// "Effectively infinite" durations (issue: a 2^31 ms timeout that Node turns into 1 ms made every
// export fail, 100 of 100 spans lost, with only Node's TimeoutOverflowWarning): clamped at
// configuration with a coded warning, so the spans arrive, over every protocol.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { logCapture } from '../helpers.mjs'

for (const protocol of ['grpc', 'http/protobuf', 'http/json']) {
  test(`${protocol}: timeouts and the shutdown bound of 2^31 ms or more: all 100 spans arrive, the clamp is ` +
    'said once each', async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const overflowed = []
    const onWarning = (warning) => {
      if (warning.name === 'TimeoutOverflowWarning') overflowed.push(warning)
    }
    process.on('warning', onWarning)
    t.after(() => process.off('warning', onWarning))
    const logs = logCapture()
    const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
    await app.register(otelPlugin, {
      serviceName: 'durations',
      // Lifecycle spans off: a cold first request may cross the slow threshold, and this counts spans.
      lifecycleSpans: 'off',
      handleSignals: false,
      shutdownTimeoutMillis: Infinity,
      exporter: {
        protocol,
        endpoint: protocol === 'grpc' ? receiver.endpoint : receiver.httpEndpoint,
        timeoutMillis: 2 ** 31
      },
      batch: { exportTimeoutMillis: 2 ** 32, scheduledDelayMillis: 60_000 }
    })
    app.get('/n/:n', async () => 'ok')
    for (let i = 0; i < 100; i++) await app.inject({ url: `/n/${i}` })
    await app.close()
    assert.equal(receiver.spans.length, 100)
    assert.deepEqual(app.otel.stats().exported, 100)
    assert.deepEqual(overflowed, [])
    const clamped = logs.lines.filter((l) => l.code === 'FOK_WARN_DURATION_CLAMPED').map((l) => l.msg.split(' is ')[0])
    assert.deepEqual(clamped.sort(), [
      'fastify-otel-kit: option batch.exportTimeoutMillis',
      'fastify-otel-kit: option exporter.timeoutMillis',
      'fastify-otel-kit: option shutdownTimeoutMillis'
    ])
  })
}
