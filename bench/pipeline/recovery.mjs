// Runs with no arguments in its own process: how soon export resumes after the collector comes
// back, with OpenTelemetry JS's own OTLP/gRPC exporter and with the plugin's (the same exporter
// with the transport replaced), both behind the plugin's retry policy and batch processor. Spans
// are offered at a steady rate; the receiver stops for `outageMillis`, restarts on the same port,
// and the time to the first span exported after that is measured. Prints one JSON line.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { setTimeout as delay } from 'node:timers/promises'
import { DEFAULT_RETRY_POLICY } from '../../dist/sdk/config/retry-policy.js'
import { classifyFailure } from '../../dist/sdk/export/failure.js'
import { classifyGrpcError } from '../../dist/sdk/export/grpc/grpc-status.js'
import { RetryingExporter } from '../../dist/sdk/export/retrying-exporter.js'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { makeServerSpan } from './spans.mjs'

const rounds = Number(process.argv[2] ?? 3)
const outageMillis = Number(process.argv[3] ?? 4000)

async function recovery (transport) {
  const receiver = await OtlpReceiver.start({ countOnly: true })
  const exporter =
    transport === 'upstream'
      ? new RetryingExporter(
        classifyingGrpcFailures(new OTLPTraceExporter({ url: receiver.endpoint })),
        DEFAULT_RETRY_POLICY,
        { exportTimeoutMillis: 30_000, attemptTimeoutMillis: 10_000 }
      )
      : { protocol: 'grpc', endpoint: receiver.endpoint }
  const app = Fastify()
  await app.register(otelPlugin, {
    serviceName: 'bench-recovery',
    handleSignals: false,
    metrics: false, // spans and log records are measured here; metrics have rows of their own
    shutdownTimeoutMillis: 1000,
    exporter,
    batch: { scheduledDelayMillis: 100 }
  })
  const stopOffering = new AbortController()
  const offer = (async () => {
    while (!stopOffering.signal.aborted) {
      for (let i = 0; i < 20; i++) makeServerSpan(app.otel.tracer)
      await delay(10)
    }
  })()
  await delay(500)
  await receiver.stop()
  await delay(outageMillis)
  const countBefore = receiver.spanCount
  await receiver.restart()
  const restarted = performance.now()
  while (receiver.spanCount === countBefore && performance.now() - restarted < 60_000) await delay(5)
  const millis = Math.round(performance.now() - restarted)
  stopOffering.abort()
  await offer
  await app.close()
  await receiver.stop()
  return millis
}

/** Upstream's exporter with its gRPC failures classified, as the plugin's transport does for its own. */
function classifyingGrpcFailures (exporter) {
  return {
    export: (items, done) =>
      exporter.export(items, (result) => {
        if (result.error !== undefined) classifyFailure(result.error, classifyGrpcError(result.error))
        done(result)
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush()
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const samples = { upstream: [], plugin: [] }
for (let round = 0; round < rounds; round++) {
  for (const transport of ['upstream', 'plugin']) samples[transport].push(await recovery(transport))
}
const summary = {
  node: process.version,
  outageMillis,
  rounds,
  upstreamMillis: samples.upstream,
  pluginMillis: samples.plugin,
  upstreamMedian: median(samples.upstream),
  pluginMedian: median(samples.plugin)
}
process.stdout.write(`${JSON.stringify(summary)}\n`)
process.exit(0)
