// Experiment: does sending the export requests from a worker thread pay? Spans end at a steady
// rate through the package's batch processor (the queue of encoded spans, batches of 512), and
// each variant does something else with a batch:
//   none      the request put together, then dropped (encoding and queue only: the floor)
//   grpc      sent over OTLP/gRPC from this thread (the package's exporter and transport)
//   http      sent over OTLP/HTTP from this thread
//   worker    the request's bytes handed (transferred) to a worker thread, which sends them over
//             OTLP/gRPC with the same transport and answers
// to a receiver in another process that decodes nothing. Prints the main thread's CPU and the
// whole process's CPU per span, medians over rounds, the variants interleaved.
//   node bench/experiments/export-thread.mjs [spans/s=20000] [seconds=3] [rounds=5]
// Run it pinned to one core (taskset -c 0) and to two (taskset -c 0,1): the receiver is started
// pinned to the other core where there is one.
import { resourceFromAttributes } from '@opentelemetry/resources'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { fileURLToPath } from 'node:url'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { setTimeout as delay } from 'node:timers/promises'
import { buildOtlpGrpcExporter } from '../../dist/sdk/export/grpc/otlp-grpc-exporter.js'
import { TRACE_SERVICE } from '../../dist/sdk/export/grpc/grpc-transport.js'
import { buildOtlpHttpExporter } from '../../dist/sdk/export/http/otlp-http-exporter.js'
import { BatchExportProcessor } from '../../dist/sdk/traces/batch-span-processor.js'
import { encodedSpanSerializer } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { encodedSpans } from '../../dist/sdk/traces/span-queue-encoding.js'
import { resolvedExporterConfig } from '../../test/otlp-contract.mjs'
import { startNode } from '../lib/processes.mjs'
import { makeServerSpan } from '../pipeline/spans.mjs'

/** A resolved OTLP configuration for `endpoint`, as the assembly would hand it over (the tests' own). */
const exporterConfig = (protocol, endpoint) =>
  resolvedExporterConfig({ protocol, endpoint, timeoutMillis: 10_000, insecure: true })
const metricsHelper = { name: 'span', countItems: (items) => items.length }
const grpcExporter = (endpoint) =>
  buildOtlpGrpcExporter(
    {
      service: TRACE_SERVICE,
      serializer: encodedSpanSerializer(),
      metricsHelper,
      componentType: 'otlp_grpc_span_exporter'
    },
    exporterConfig('grpc', endpoint),
    {},
    30_000,
    () => {}
  )

if (!isMainThread) {
  // The worker: sends what it is given over gRPC, answers with the outcome.
  const raw = { serializeRequest: (bytes) => bytes, deserializeResponse: () => ({}) }
  const exporter = buildOtlpGrpcExporter(
    {
      service: TRACE_SERVICE,
      serializer: raw,
      metricsHelper: { name: 'span', countItems: () => 1 },
      componentType: 'x'
    },
    exporterConfig('grpc', workerData.endpoint),
    {},
    30_000,
    () => {}
  )
  parentPort.on('message', ({ id, buffer, offset, length }) => {
    const bytes = new Uint8Array(buffer, offset, length)
    exporter.export(bytes, (result) => parentPort.postMessage({ id, code: result.code }))
  })
} else {
  const [rate = '20000', seconds = '3', rounds = '5'] = process.argv.slice(2)
  const receiver = startNode(fileURLToPath(new URL('../lib/receiver-process.mjs', import.meta.url)), [], { core: 1 })
  const { endpoint, httpEndpoint } = await receiver.next()
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { endpoint } })
  const waiting = new Map()
  worker.on('message', ({ id, code }) => {
    waiting.get(id)({ code })
    waiting.delete(id)
  })
  let nextId = 0
  const serializer = encodedSpanSerializer()
  const variants = {
    none: () => ({
      export (items, done) {
        serializer.serializeRequest(items)
        done({ code: 0 })
      },
      async shutdown () {}
    }),
    grpc: () => grpcExporter(endpoint),
    http: () =>
      buildOtlpHttpExporter(
        {
          serializer: encodedSpanSerializer(),
          metricsHelper,
          contentType: 'application/x-protobuf',
          componentType: 'x'
        },
        exporterConfig('http/protobuf', `${httpEndpoint}/v1/traces`),
        {},
        30_000,
        () => {}
      ),
    worker: () => ({
      export (items, done) {
        const bytes = serializer.serializeRequest(items)
        const id = nextId++
        waiting.set(id, done)
        // The request has a buffer of its own (sized for it): moved to the worker, not copied.
        const message = { id, buffer: bytes.buffer, offset: bytes.byteOffset, length: bytes.byteLength }
        worker.postMessage(message, [bytes.buffer])
      },
      async shutdown () {}
    })
  }
  const resource = resourceFromAttributes({ 'service.name': 'bench-export-thread' })
  const limits = {
    maxQueueSize: 8192,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 1000,
    exportTimeoutMillis: 30_000
  }
  const samples = Object.fromEntries(Object.keys(variants).map((v) => [v, { main: [], process: [], dropped: 0 }]))
  for (let round = 0; round <= Number(rounds); round++) {
    for (const [name, make] of Object.entries(variants)) {
      const processor = new BatchExportProcessor(make(), limits, {}, encodedSpans())
      const provider = new TracerProvider({ resource, spanProcessors: [processor] })
      const tracer = provider.getTracer('fastify-otel-kit', '0.1.0')
      const mainBefore = process.threadCpuUsage()
      const processBefore = process.cpuUsage()
      const started = performance.now()
      let made = 0
      while (performance.now() - started < Number(seconds) * 1000) {
        const due = ((performance.now() - started) * Number(rate)) / 1000
        while (made < due) {
          makeServerSpan(tracer)
          made++
        }
        await delay(2)
      }
      await processor.forceFlush()
      const main = process.threadCpuUsage(mainBefore)
      const all = process.cpuUsage(processBefore)
      // Round 0 warms every variant up and is not counted.
      if (round > 0) {
        samples[name].main.push((main.user + main.system) / made)
        samples[name].process.push((all.user + all.system) / made)
        samples[name].dropped += processor.stats(undefined).dropped
      }
      await processor.shutdown()
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
  const result = { node: process.version, rate: Number(rate), seconds: Number(seconds), rounds: Number(rounds) }
  for (const [name, s] of Object.entries(samples)) {
    result[name] = {
      mainThreadMicrosPerSpan: Number(median(s.main).toFixed(2)),
      processMicrosPerSpan: Number(median(s.process).toFixed(2)),
      dropped: s.dropped
    }
  }
  process.stdout.write(`${JSON.stringify(result, null, 1)}\n`)
  await worker.terminate()
  await receiver.stop()
  process.exit(0)
}
