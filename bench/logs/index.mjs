// Log export: what one log line costs with export on, against pino alone, in the same run. A
// line is written the way a handler writes it (request.log: a child logger with the request's
// bindings, inside the request's span). CPU time of the process per line (user + system, all
// threads: pino's destination writes, gRPC), over whole rounds that end with a flush, so the
// deferred work (parsing the line when its batch is exported) is in the figure.
//   - pino.destination('/dev/null'): the destination pino's own benchmarks use, and the kind
//     Fastify's `logger: true` writes stdout with;
//   - a destination that discards: pino's serialisation alone;
//   - export over OTLP/gRPC to a receiver in another process: the whole cost, encoding included.
// The export rows without a receiver hand the records to an exporter that reads every field of
// them (what any exporter does) and encodes nothing.
import { context, trace } from '@opentelemetry/api'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { median, startNode } from '../lib/processes.mjs'

/** Lines written between two turns of the event loop (a request writes a few). */
const LINES_PER_TURN = 20
const receiverScript = fileURLToPath(new URL('../lib/receiver-process.mjs', import.meta.url))

const readingExporter = () => {
  let sink
  return {
    export (records, done) {
      for (const r of records) {
        sink = [
          r.body,
          r.attributes,
          r.hrTime,
          r.hrTimeObserved,
          r.severityNumber,
          r.severityText,
          r.spanContext,
          r.droppedAttributesCount
        ]
      }
      // eslint-disable-next-line no-void -- reads the sink once, so the reads above count as used
      void sink
      done({ code: 0 })
    },
    async shutdown () {},
    async forceFlush () {}
  }
}

/**
 * One app, `rounds` rounds of `lines` lines each: microseconds of CPU per line and of time inside
 * the log calls per line (what the request itself waits; medians over rounds), and the log counters.
 */
async function measure ({ destination, logs, endpoint, rounds, lines, warmupRounds }) {
  const app = Fastify({ logger: { level: 'info', stream: destination() } })
  await app.register(otelPlugin, {
    serviceName: 'bench-logs',
    handleSignals: false,
    metrics: false, // spans and log records are measured here; metrics have rows of their own
    exporter:
      endpoint === undefined
        ? {
            export (spans, done) {
              done({ code: 0 })
            },
            async shutdown () {}
          }
        : { protocol: 'grpc', endpoint },
    ...(logs === undefined ? {} : { logs })
  })
  await app.ready()
  const span = app.otel.tracer.startSpan('GET /orders/:id')
  const request = trace.setSpan(context.active(), span)
  const log = app.log.child({
    reqId: 'req-1',
    trace_id: span.spanContext().traceId,
    span_id: span.spanContext().spanId,
    trace_flags: '01'
  })
  const burst = () => {
    for (let i = 0; i < LINES_PER_TURN; i++) log.info({ orderId: 'ord-7421', amount: 49.99 }, 'refund requested')
  }
  // Lines come a few at a time, with turns of the event loop between them, as requests write
  // them: batches are exported as they fill, not all at the end.
  let inCalls = 0n
  const write = async () => {
    for (let i = 0; i < lines; i += LINES_PER_TURN) {
      const started = process.hrtime.bigint()
      context.with(request, burst)
      inCalls += process.hrtime.bigint() - started
      await nextTurn()
    }
  }
  // Warm-up: code optimised (pino's too), queues and connections up.
  for (let r = 0; r < warmupRounds; r++) {
    await write()
    await app.otel.forceFlush()
  }
  const perLine = []
  const callPerLine = []
  for (let r = 0; r < rounds; r++) {
    inCalls = 0n
    const before = process.cpuUsage()
    await write()
    await app.otel.forceFlush()
    const used = process.cpuUsage(before)
    perLine.push((used.user + used.system) / lines)
    callPerLine.push(Number(inCalls) / 1000 / lines)
  }
  const stats = app.otel.stats().logs
  span.end()
  await app.close()
  return { micros: median(perLine), callMicros: median(callPerLine), stats }
}

export async function runLogs ({ rounds, lines, warmupRounds, log }) {
  const receiver = startNode(receiverScript, [], { core: 1 })
  const { endpoint } = await receiver.next()
  const devNull = () => pino.destination('/dev/null')
  const discard = () => ({ write () {} })
  // The default batch size; a queue that never drops here, so that every line is paid in full.
  const batch = { maxQueueSize: lines * 2, maxExportBatchSize: 512 }
  const cases = [
    ["pino.destination('/dev/null')", devNull, { exporter: readingExporter(), batch }],
    ['a destination that discards (serialisation only)', discard, { exporter: readingExporter(), batch }],
    ["pino.destination('/dev/null'), export over OTLP/gRPC to a receiver process", devNull, { batch }]
  ]
  const rows = []
  for (const [destinationLabel, destination, logs] of cases) {
    const alone = []
    const exporting = []
    const aloneCalls = []
    const exportingCalls = []
    let stats
    // Alternated, so that drift hits both alike.
    for (let block = 0; block < 3; block++) {
      const off = await measure({ destination, rounds, lines, warmupRounds })
      alone.push(off.micros)
      aloneCalls.push(off.callMicros)
      const on = await measure({
        destination,
        logs,
        endpoint: logs.exporter === undefined ? endpoint : undefined,
        rounds,
        lines,
        warmupRounds
      })
      exporting.push(on.micros)
      exportingCalls.push(on.callMicros)
      stats = on.stats
    }
    const aloneNs = Math.round(median(alone) * 1000)
    const exportNs = Math.round(median(exporting) * 1000)
    const row = {
      destination: destinationLabel,
      pinoAloneNs: aloneNs,
      exportOnNs: exportNs,
      ratio: Number((exportNs / aloneNs).toFixed(2)),
      callPinoAloneNs: Math.round(median(aloneCalls) * 1000),
      callExportOnNs: Math.round(median(exportingCalls) * 1000),
      exported: stats.exported,
      dropped: stats.dropped
    }
    log(
      `  ${destinationLabel.padEnd(74)} CPU per line: pino alone ${aloneNs} ns, export on ${exportNs} ns, ` +
        `${row.ratio.toFixed(2)}x; in the log call: ${row.callPinoAloneNs} ns, ${row.callExportOnNs} ns ` +
        `(last run: ${stats.exported} exported, ${stats.dropped} dropped)`
    )
    rows.push(row)
  }
  await receiver.stop()
  return rows
}
