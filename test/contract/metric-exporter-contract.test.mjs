// The package's OTLP metric exporter (its own gRPC and HTTP transports with upstream's metrics
// serializers, sdk/assembly/metric-exporter.ts) beside upstream's OTLPMetricExporter
// (exporter-metrics-otlp-grpc, -proto, -http): the same collection, with the request metrics the
// package aggregates itself among the SDK's, arrives at the receiver (which is held to upstream's
// encoding by receiver-decoding.test.mjs) exactly the same over every protocol, gzipped or not; and
// the temporality preferences select the same temporality for every instrument type.
import { ValueType } from '@opentelemetry/api'
import { OTLPMetricExporter as MetricsGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc'
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as MetricsJson
} from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { InstrumentType, MeterProvider } from '@opentelemetry/sdk-metrics'
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { buildOtlpMetricExporter } from '../../dist/sdk/assembly/metric-exporter.js'
import { resolveSdkConfig } from '../../dist/sdk/config/resolve-config.js'
import { streamsFor } from '../../dist/sdk/metrics/instrument-streams.js'
import { addProducers } from '../../dist/sdk/metrics/reader-producers.js'
import { RequestMetricsProducer } from '../../dist/sdk/metrics/request-metrics-producer.js'
import { RequestMetrics } from '../../dist/sdk/metrics/request-metrics.js'
import { temporalitySelector } from '../../dist/sdk/metrics/temporality.js'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { TestMetricReader } from '../helpers.mjs'

const UPSTREAM = { grpc: MetricsGrpc, 'http/protobuf': MetricsProto, 'http/json': MetricsJson }
const SCOPE = { name: 'fastify-otel-kit', version: '0.1.0' }

let collection
before(async () => {
  const reader = new TestMetricReader()
  // The request metrics the package aggregates, joined to the SDK's collection as in the assembly.
  const table = new RequestMetrics()
  const streams = {
    duration: streamsFor(
      {
        name: 'http.server.request.duration',
        type: InstrumentType.HISTOGRAM,
        unit: 's',
        description: 'Duration of HTTP server requests.'
      },
      SCOPE,
      []
    ).streams,
    active: streamsFor(
      {
        name: 'http.server.active_requests',
        type: InstrumentType.UP_DOWN_COUNTER,
        unit: '{request}',
        description: 'Number of active HTTP server requests.'
      },
      SCOPE,
      []
    ).streams
  }
  addProducers(reader, (r) => [new RequestMetricsProducer(table, streams, SCOPE, r)])
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'contract' }),
    readers: [reader]
  })
  const meter = provider.getMeter(SCOPE.name, SCOPE.version)
  meter.createCounter('orders.placed', { valueType: ValueType.INT }).add(3, { region: 'eu' })
  meter.createObservableGauge('queue.depth').addCallback((r) => r.observe(7))
  const route = table.forRoute('/orders/:id')
  for (const seconds of [0.003, 0.04, 1.5]) route.record('GET', 'https', 200, undefined, '2', seconds)
  route.record('POST', 'https', 503, 'TimeoutError', '1.1', 0.2)
  table.activeFor('GET', 'https').add(1)
  const { resourceMetrics, errors } = await reader.collect()
  assert.deepEqual(errors, [])
  collection = resourceMetrics
})

async function receive (t, send) {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  await send(receiver)
  return receiver.metrics.map(({ transport, ...metric }) => metric)
}

const urlFor = (receiver, protocol) => (protocol === 'grpc' ? receiver.endpoint : `${receiver.httpEndpoint}/v1/metrics`)

for (const protocol of Object.keys(UPSTREAM)) {
  for (const compression of ['none', 'gzip']) {
    test(`${protocol}, ${compression}: what the package sends is what upstream's exporter sends`, async (t) => {
      const theirs = await receive(t, async (receiver) => {
        const exporter = new UPSTREAM[protocol]({ url: urlFor(receiver, protocol), compression })
        const result = await new Promise((resolve) => exporter.export(collection, resolve))
        await exporter.shutdown()
        assert.equal(result.code, 0, result.error?.message)
      })
      const ours = await receive(t, async (receiver) => {
        const resolution = resolveSdkConfig(
          {
            exporter: {
              protocol,
              endpoint: protocol === 'grpc' ? receiver.endpoint : receiver.httpEndpoint,
              compression
            }
          },
          {}
        )
        const { exporter } = buildOtlpMetricExporter(
          resolution,
          (m) => assert.fail(m),
          () => {}
        )
        const result = await new Promise((resolve) => exporter.export(collection, resolve))
        await exporter.shutdown()
        assert.equal(result.code, 0)
        assert.equal(
          exporter.books().exported,
          theirs.reduce((n, m) => n + m.dataPoints.length, 0)
        )
      })
      assert.ok(theirs.some((m) => m.name === 'http.server.request.duration'))
      assert.deepEqual(ours, theirs)
    })
  }
}

test("the temporality preferences: the same choice as upstream's exporters, for every instrument type", () => {
  const preferences = {
    cumulative: AggregationTemporalityPreference.CUMULATIVE,
    delta: AggregationTemporalityPreference.DELTA,
    lowmemory: AggregationTemporalityPreference.LOWMEMORY
  }
  for (const [name, preference] of Object.entries(preferences)) {
    const upstream = new MetricsJson({ url: 'http://127.0.0.1:1/v1/metrics', temporalityPreference: preference })
    const ours = temporalitySelector(name)
    for (const type of Object.values(InstrumentType)) {
      assert.equal(ours(type), upstream.selectAggregationTemporality(type), `${name} ${type}`)
    }
  }
})
