// The memory of an export used again (sdk/export/otlp-item-exporter.ts, request-buffers.ts,
// encoded-items.ts, batch-lease.ts). The OTLP protobuf exporters hand each request body back once
// its send is over, and the next request is written into the same memory: over both protocols
// against the real receiver, what arrives is every span of every batch, the second batch's body
// is the first's memory, and a body whose send is still under way (a collector that never
// answers) is never written over by the next batch, nor is one a collector answered before reading
// it whole (the rest is not sent). Through the plugin, thousands of spans go out through reused
// slabs and bodies, and every one arrives once and whole.
import { TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer'
import assert from 'node:assert/strict'
import http from 'node:http'
import { describe, test } from 'node:test'
import { TRACE_SERVICE } from '../../dist/sdk/export/grpc/grpc-transport.js'
import { buildOtlpGrpcExporter } from '../../dist/sdk/export/grpc/otlp-grpc-exporter.js'
import { HttpTransport } from '../../dist/sdk/export/http/http-transport.js'
import { buildOtlpHttpExporter } from '../../dist/sdk/export/http/otlp-http-exporter.js'
import { protobufSpanSerializer } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { endedSpans, silentCollector } from '../helpers.mjs'
import { resolvedExporterConfig } from '../otlp-contract.mjs'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'

/** The package's serializer, noting each body it writes (with a copy of its bytes then) and each one handed back. */
function noting () {
  const serializer = protobufSpanSerializer()
  const written = []
  const released = []
  return {
    written,
    released,
    serializer: {
      serializeRequest: (items) => {
        const body = serializer.serializeRequest(items)
        written.push({ body, bytes: Buffer.from(body) })
        return body
      },
      deserializeResponse: (data) => serializer.deserializeResponse(data),
      release: (body) => {
        released.push(body)
        serializer.release(body)
      }
    }
  }
}

const PROTOCOLS = {
  grpc: (endpoint, timeoutMillis, serializer) =>
    buildOtlpGrpcExporter(
      {
        service: TRACE_SERVICE,
        serializer,
        metricsHelper: TraceExporterMetricsHelper,
        componentType: 'otlp_grpc_span_exporter'
      },
      resolvedExporterConfig({ protocol: 'grpc', endpoint, timeoutMillis }),
      {},
      30_000,
      () => {}
    ),
  'http/protobuf': (endpoint, timeoutMillis, serializer) =>
    buildOtlpHttpExporter(
      {
        serializer,
        metricsHelper: TraceExporterMetricsHelper,
        contentType: 'application/x-protobuf',
        componentType: 'otlp_http_span_exporter'
      },
      resolvedExporterConfig({ protocol: 'http/protobuf', endpoint: `${endpoint}/v1/traces`, timeoutMillis }),
      {},
      30_000,
      () => {}
    )
}

const spans = (prefix, count) => endedSpans(count, { prefix, attributes: (i) => ({ order: `ord-${i}` }) })

const exportOnce = (exporter, items) => new Promise((resolve) => exporter.export(items, resolve))

describe('request bodies over the network, reused once their send is over', () => {
  for (const [protocol, make] of Object.entries(PROTOCOLS)) {
    test(`${protocol}: the second batch goes out in the first one's memory, and every span arrives`, async (t) => {
      const receiver = await OtlpReceiver.start()
      t.after(() => receiver.stop())
      const endpoint = protocol === 'grpc' ? receiver.endpoint : receiver.httpEndpoint
      const { serializer, written, released } = noting()
      const exporter = make(endpoint, 5000, serializer)
      t.after(() => exporter.shutdown())

      assert.equal((await exportOnce(exporter, spans('a', 30))).code, 0)
      assert.deepEqual(released, [written[0].body], 'the first body is handed back once its send is over')
      assert.equal((await exportOnce(exporter, spans('b', 30))).code, 0)
      assert.equal(written[1].body.buffer, written[0].body.buffer)

      const names = (await receiver.waitFor((received) => received.length >= 60)).map((s) => s.name)
      const batch = (prefix) => Array.from({ length: 30 }, (_, i) => `${prefix}-${i}`)
      assert.deepEqual(names, [...batch('a'), ...batch('b')])
    })

    test(`${protocol}: a body whose send is under way is not written over by the next batch`, async (t) => {
      const { endpoint } = await silentCollector(t)
      const { serializer, written, released } = noting()
      const exporter = make(endpoint, 400, serializer)
      t.after(() => exporter.shutdown())

      const first = exportOnce(exporter, spans('a', 30))
      const second = exportOnce(exporter, spans('b', 30))
      assert.notEqual(written[1].body.buffer, written[0].body.buffer)
      assert.deepEqual(Buffer.from(written[0].body), written[0].bytes, 'the first body is as it was written')
      assert.notEqual((await first).code, 0)
      assert.notEqual((await second).code, 0)
      assert.equal(released.length, 2, 'both bodies are handed back when their sends fail')
    })
  }
})

test('OTLP/HTTP, a collector that answers 413 before reading the body: the send settles and the rest is not sent',
  async (t) => {
    let closed
    const socketClosed = new Promise((resolve) => {
      closed = resolve
    })
    const server = http.createServer((request, response) => {
      request.socket.on('close', closed)
      // Answer at once, and read nothing: the client cannot finish writing 8 MB into the socket.
      request.pause()
      response.writeHead(413, { 'content-length': 0 }).end()
    })
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => {
      server.closeAllConnections()
      server.close()
    })
    const transport = new HttpTransport({
      url: new URL(`http://127.0.0.1:${server.address().port}/v1/traces`),
      headers: { 'Content-Type': 'application/x-protobuf' },
      compression: 'none',
      tls: {},
      userAgent: 'test'
    })
    t.after(() => transport.shutdown())
    const result = await transport.send(new Uint8Array(8 * 1024 * 1024), 5000)
    assert.equal(result.status, 'failure')
    assert.match(String(result.error), /413/)
    // Without ending the request, the client would go on writing the body (the memory a later
    // request is written into) for as long as the connection lasts.
    const outcome = await Promise.race([
      socketClosed.then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still open'), 2000))
    ])
    assert.equal(outcome, 'closed')
  })

describe('through the plugin: slabs and bodies used again, nothing lost or mixed up', () => {
  for (const protocol of ['grpc', 'http/protobuf']) {
    test(`${protocol}: 3,000 spans of about 1 KB in batches of 100, each arrives once with its own attribute`,
      async (t) => {
        const receiver = await OtlpReceiver.start()
        const app = Fastify()
        t.after(async () => {
          await app.close()
          await receiver.stop()
        })
        await app.register(otelPlugin, {
          serviceName: 'reuse',
          handleSignals: false,
          metrics: false,
          lifecycleSpans: 'off',
          batch: { maxQueueSize: 4096, maxExportBatchSize: 100, scheduledDelayMillis: 5 },
          exporter: { protocol, endpoint: protocol === 'grpc' ? receiver.endpoint : receiver.httpEndpoint }
        })
        await app.ready()
        const COUNT = 3000
        for (let i = 0; i < COUNT; i++) {
          app.otel.tracer.startSpan(`span-${i}`, { attributes: { 'payload.id': `${i}:${'q'.repeat(1000)}` } }).end()
          // A turn now and then, so that batches go out (and come back) while spans are written.
          if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve))
        }
        await app.otel.forceFlush()
        const received = await receiver.waitFor((spans) => spans.length >= COUNT)
        assert.equal(received.length, COUNT)
        const seen = new Set()
        for (const span of received) {
          const n = Number(span.name.slice('span-'.length))
          assert.equal(span.attributes['payload.id'], `${n}:${'q'.repeat(1000)}`, `${span.name} arrived whole`)
          seen.add(n)
        }
        assert.equal(seen.size, COUNT, 'every span once')
        assert.equal(app.otel.stats().dropped, 0)
      })
  }
})
