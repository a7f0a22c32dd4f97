// Runs with no arguments in its own process: how long the span.end() call that fills a batch takes,
// with the SDK's BatchSpanProcessor (which calls exporter.export(), and so serialises the batch,
// inside that call) and with the plugin's (which calls it on a later turn). Both feed upstream's own
// OTLP/gRPC exporter and a receiver on loopback; only the processor differs. Per round: 511 typical
// server spans end, then the 512th is timed, then the batch is flushed. Prints one JSON line.
//   node bench/pipeline/end-stall.mjs [rounds=40]
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { BatchExportProcessor } from '../../dist/sdk/traces/batch-span-processor.js'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { median } from '../lib/processes.mjs'
import { makeServerSpan } from './spans.mjs'

const rounds = Number(process.argv[2] ?? 40)
const BATCH = 512
const limits = {
  maxQueueSize: 2048,
  maxExportBatchSize: BATCH,
  scheduledDelayMillis: 60_000,
  exportTimeoutMillis: 30_000
}

/** A tracer whose spans end through `processor`, with span.end() of the last span timed. */
function timedTracer (provider) {
  const tracer = provider.getTracer('bench-end-stall')
  let last = 0
  return {
    tracer: {
      startSpan (name, options) {
        const span = tracer.startSpan(name, options)
        const end = span.end.bind(span)
        span.end = (time) => {
          const t0 = performance.now()
          end(time)
          last = performance.now() - t0
        }
        return span
      }
    },
    lastEndMillis: () => last
  }
}

async function measure (kind, endpoint) {
  const exporter = new OTLPTraceExporter({ url: endpoint })
  const processor =
    kind === 'sdk' ? new BatchSpanProcessor({ exporter, ...limits }) : new BatchExportProcessor(exporter, limits)
  const provider = new TracerProvider({ spanProcessors: [processor] })
  const { tracer, lastEndMillis } = timedTracer(provider)
  const filling = []
  const others = []
  for (let round = -3; round < rounds; round++) {
    for (let i = 0; i < BATCH - 1; i++) {
      makeServerSpan(tracer)
      if (round >= 0) others.push(lastEndMillis())
    }
    makeServerSpan(tracer)
    if (round >= 0) filling.push(lastEndMillis())
    await provider.forceFlush()
    // The SDK's forceFlush does not wait for the export it started inside end(): let it finish.
    await exporter.forceFlush()
  }
  await provider.shutdown()
  const us = (ms) => Math.round(ms * 10_000) / 10
  return {
    fillingEndMicros: { median: us(median(filling)), max: us(Math.max(...filling)) },
    otherEndMicros: { median: us(median(others)) }
  }
}

const receiver = await OtlpReceiver.start({ countOnly: true })
const result = { rounds, batch: BATCH, node: process.version, sdk: [], ours: [] }
// Two passes each, alternating, so that warm-up and machine noise fall on both alike.
for (const kind of ['sdk', 'ours', 'sdk', 'ours']) result[kind].push(await measure(kind, receiver.endpoint))
await receiver.stop()
process.stdout.write(`${JSON.stringify(result)}\n`)
process.exit(0)
