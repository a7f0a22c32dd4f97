// Scratch: request.log lines with log export on (an exporter that reads every field, or OTLP when
// an endpoint is given), in a loop, for --cpu-prof.
//   node --cpu-prof bench/experiments/log-line-profile.mjs [lines=200000] [endpoint | encode]
import { context, trace } from '@opentelemetry/api'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { setImmediate as nextTurn } from 'node:timers/promises'
import pino from 'pino'

const [lines = '200000', endpoint] = process.argv.slice(2)
let sink
const reading = {
  export (records, done) {
    for (const r of records) {
      sink = [
        r.body, r.attributes, r.hrTime, r.hrTimeObserved,
        r.severityNumber, r.severityText, r.spanContext, r.droppedAttributesCount
      ]
    }
    done({ code: 0 })
  },
  async shutdown () {}
}
const { protobufLogsSerializer } = await import('../../dist/sdk/logs/otlp-log-encoder.js')
const serializer = protobufLogsSerializer()
const encoding = {
  export (records, done) {
    sink = serializer.serializeRequest(records)
    done({ code: 0 })
  },
  async shutdown () {}
}
const app = Fastify({ logger: { level: 'info', stream: pino.destination('/dev/null') } })
await app.register(otelPlugin, {
  serviceName: 'bench-logs',
  handleSignals: false,
  exporter: { export (spans, done) { done({ code: 0 }) }, async shutdown () {} },
  logs: endpoint === undefined || endpoint === 'encode'
    ? { exporter: endpoint === 'encode' ? encoding : reading, batch: { maxQueueSize: 20000, maxExportBatchSize: 512 } }
    : { batch: { maxQueueSize: 20000, maxExportBatchSize: 512 } },
  ...(endpoint === undefined || endpoint === 'encode' ? {} : { exporter: { protocol: 'grpc', endpoint } })
})
await app.ready()
const span = app.otel.tracer.startSpan('GET /orders/:id')
const request = trace.setSpan(context.active(), span)
const { traceId, spanId } = span.spanContext()
const log = app.log.child({ reqId: 'req-1', trace_id: traceId, span_id: spanId, trace_flags: '01' })
const burst = () => {
  for (let i = 0; i < 20; i++) log.info({ orderId: 'ord-7421', amount: 49.99 }, 'refund requested')
}
const started = process.cpuUsage()
for (let i = 0; i < Number(lines); i += 20) {
  context.with(request, burst)
  await nextTurn()
}
await app.otel.forceFlush()
const used = process.cpuUsage(started)
console.log(((used.user + used.system) / Number(lines) * 1000).toFixed(0), 'ns per line', app.otel.stats().logs)
if (sink === undefined) console.log('nothing was read')
await app.close()
