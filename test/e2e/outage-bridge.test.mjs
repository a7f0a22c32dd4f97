// A collector that restarts (a rolling deploy of the collector) loses nothing the queues hold:
// the export under way keeps retrying within the retry budget (exporter.retry.budgetMillis, 60 s by
// default; shorter here, and a shorter outage, to keep the suite quick: bench/pipeline/outage.mjs
// runs the 30 s one), the queues keep taking spans and log records meanwhile, and everything
// arrives once the collector is back. Over gRPC and OTLP/HTTP, against a real receiver that stops
// and restarts on the same ports. And the control: with a budget shorter than the outage, the
// batch under way is lost, counted.
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { logCapture } from '../helpers.mjs'

const OUTAGE_MILLIS = 3000

async function service (t, receiver, protocol, retry, exportTimeoutMillis = 30_000) {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  /** The package's warnings with `code` about `noun`s' exports, in order. */
  app.exportNotices = (code, noun) =>
    logs.lines.filter((l) => l.code === code && l.msg.includes(`exports of ${noun}s`)).map((l) => l.msg)
  app.failureNotices = () => logs.lines.filter((l) => l.code === 'FOK_WARN_EXPORT_FAILED').map((l) => l.msg)
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'outage',
    handleSignals: false,
    shutdownTimeoutMillis: 2000,
    exporter: {
      protocol,
      endpoint: protocol === 'grpc' ? receiver.endpoint : receiver.httpEndpoint,
      timeoutMillis: 1000,
      retry
    },
    batch: { scheduledDelayMillis: 50, maxExportBatchSize: 20, exportTimeoutMillis },
    logs: { batch: { scheduledDelayMillis: 50, maxExportBatchSize: 20, exportTimeoutMillis } }
  })
  app.get('/orders/:id', async (request) => {
    request.log.info({ order: request.params.id }, 'order read')
    return 'ok'
  })
  return app
}

/** `count` requests, spread over `millis`; each makes a span and (with Fastify's two) three log lines. */
async function traffic (app, from, count, millis) {
  for (let i = from; i < from + count; i++) {
    const response = await app.inject({ url: `/orders/${i}` })
    assert.equal(response.statusCode, 200)
    await delay(millis / count)
  }
}

const balanced = (s) => s.created === s.exported + s.dropped + s.failed + s.queued

for (const protocol of ['grpc', 'http/protobuf']) {
  describe(`the collector restarts, over ${protocol}`, () => {
    const bridged =
      `down ${OUTAGE_MILLIS / 1000} s within an 8 s retry budget: every span and log record arrives, ` +
      'nothing counted lost'
    test(bridged, { timeout: 60_000 }, async (t) => {
      const receiver = await OtlpReceiver.start()
      t.after(() => receiver.stop())
      const app = await service(t, receiver, protocol, { budgetMillis: 8000 })
      await traffic(app, 0, 10, 100)
      await receiver.waitFor((all) => all.length === 10)

      await receiver.stop()
      await traffic(app, 10, 40, OUTAGE_MILLIS)
      const during = app.otel.stats()
      assert.ok(during.queued > 0, 'spans wait in the queue during the outage')
      assert.ok(during.retries > 0, 'the export under way retries')
      await receiver.restart()
      await traffic(app, 50, 10, 100)

      const spans = await receiver.waitFor((all) => all.length >= 60, 20_000)
      const paths = new Set(spans.map((s) => s.attributes['url.path']))
      for (let i = 0; i < 60; i++) assert.ok(paths.has(`/orders/${i}`), `span of /orders/${i} missing`)
      await receiver.waitForLogs((all) => all.filter((r) => r.body === 'order read').length >= 60, 20_000)
      await app.otel.forceFlush()
      const stats = app.otel.stats()
      assert.deepEqual(
        { dropped: stats.dropped, failed: stats.failed, queued: stats.queued, exported: stats.exported },
        { dropped: 0, failed: 0, queued: 0, exported: stats.created }
      )
      assert.deepEqual(
        { dropped: stats.logs.dropped, failed: stats.logs.failed, queued: stats.logs.queued },
        { dropped: 0, failed: 0, queued: 0 }
      )
      assert.equal(stats.logs.exported, stats.logs.created)
      // At least once: an export the receiver took just as it went down may have had no answer and
      // been sent again (OTLP's rule, and the collector's): no span missing, none made up.
      assert.equal(new Set(spans.map((s) => s.spanId)).size, stats.created)
      // The outage was said when the retries began, and its end when exports went through again.
      for (const noun of ['span', 'log record']) {
        const retrying = app.exportNotices('FOK_WARN_EXPORT_RETRYING', noun)
        assert.equal(retrying.length, 1, `${noun}: ${retrying.join(' | ')}`)
        // The export's deadline: the longer of the budget and batch.exportTimeoutMillis (30 s).
        assert.match(retrying[0], /are failing \(.+\) and are being retried, each batch for up to 30 s/)
        const recovered = app.exportNotices('FOK_WARN_EXPORT_RECOVERED', noun)
        assert.equal(recovered.length, 1, `${noun}: ${recovered.join(' | ')}`)
        assert.match(recovered[0], /succeed again, after \d+\.\d s of failures; no batch ran out of retries meanwhile\.$/)
      }
    })

    const control = 'the control: a deadline shorter than the outage loses the batch under way, counted as failed'
    test(control, { timeout: 60_000 }, async (t) => {
      const receiver = await OtlpReceiver.start()
      t.after(() => receiver.stop())
      // The export's deadline is the longer of exportTimeoutMillis and the budget: both short here.
      const app = await service(t, receiver, protocol, { budgetMillis: 500 }, 1000)
      await traffic(app, 0, 5, 50)
      await receiver.waitFor((all) => all.length === 5)
      await receiver.stop()
      await traffic(app, 5, 20, OUTAGE_MILLIS)
      await receiver.restart()
      await traffic(app, 25, 5, 100)
      await app.otel.forceFlush()
      const stats = app.otel.stats()
      assert.ok(balanced(stats), JSON.stringify(stats))
      assert.ok(stats.failed > 0, `nothing lost with a budget shorter than the outage: ${JSON.stringify(stats)}`)
      // No retry fits a 1 s deadline with 1 s attempts: the loss is said as such, no outage notices.
      assert.ok(app.failureNotices().length > 0)
      assert.deepEqual(app.exportNotices('FOK_WARN_EXPORT_RETRYING', 'span'), [])
      assert.deepEqual(app.exportNotices('FOK_WARN_EXPORT_RECOVERED', 'span'), [])
    })
  })
}
