// Shared test helpers: apps with an in-memory exporter, log capture, and waiting without sleeping.
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import { MetricReader } from '@opentelemetry/sdk-metrics'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import { request as httpRequest } from 'node:http'
import net from 'node:net'
import { setImmediate as nextTurn } from 'node:timers/promises'

export { endedSpans } from './unit/unit-helpers.mjs'

/** Sets environment variables for one test and restores them (unset ones deleted) afterwards. */
export function withEnv (t, vars) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
}

/**
 * What an application's own SDK setup does on SDK 3 (the provider has no register() any more): a
 * context manager, W3C propagation and the provider, registered globally. Undone after the test.
 */
export function registerApplicationSdk (t, provider) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] })
  )
  trace.setGlobalTracerProvider(provider)
  t.after(async () => {
    await provider.shutdown()
    trace.disable()
    context.disable()
    propagation.disable()
  })
}

export const INBOUND_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
export const INBOUND_SPAN_ID = '00f067aa0ba902b7'
export const sampledParent = `00-${INBOUND_TRACE_ID}-${INBOUND_SPAN_ID}-01`
export const unsampledParent = `00-${INBOUND_TRACE_ID}-${INBOUND_SPAN_ID}-00`

/** A pino destination that keeps every line, parsed. */
export function logCapture () {
  const lines = []
  return {
    lines,
    stream: {
      write: (line) => {
        lines.push(JSON.parse(line))
      }
    },
    messages: () => lines.map((l) => l.msg)
  }
}

/** A metric reader a test collects from when it likes (cumulative unless told otherwise). */
export class TestMetricReader extends MetricReader {
  async onForceFlush () {}
  async onShutdown () {}

  /** Every metric collected now, by name. */
  async metrics () {
    const { resourceMetrics } = await this.collect()
    return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]))
  }
}

/**
 * A Fastify app with the plugin and an in-memory exporter, closed after the test. Metrics are on
 * (as by default) into a reader of the test's, `metrics`, instead of OTLP.
 * `before(app)` runs before the plugin registers (hooks registered before the plugin).
 * Lifecycle spans are off unless `options` turn them on: on a busy machine any hook or handler may
 * cross the slow threshold, and tests that count spans are about something else
 * (test/fastify/lifecycle-timing.test.mjs tests them, and the default).
 */
export async function tracedApp (t, { options = {}, fastify = {}, before } = {}) {
  const exporter = new InMemorySpanExporter()
  const metrics = new TestMetricReader()
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream }, ...fastify })
  t.after(() => app.close())
  if (before !== undefined) await before(app)
  await app.register(otelPlugin, {
    serviceName: 'test-service',
    exporter,
    handleSignals: false,
    lifecycleSpans: 'off',
    metrics: { exporter: 'none', readers: [metrics] },
    ...options
  })
  /** Ended spans, after a flush. */
  const spans = async () => {
    await app.otel.forceFlush()
    return exporter.getFinishedSpans()
  }
  const spanNamed = async (name) => {
    const all = await spans()
    const span = all.find((s) => s.name === name)
    if (span === undefined) throw new Error(`no span named ${name}; have ${all.map((s) => s.name).join(', ')}`)
    return span
  }
  return { app, exporter, logs, spans, spanNamed, metrics }
}

/**
 * Flushes until `predicate` finds what it wants among the exported spans. Each round yields to the
 * event loop, so work that is already under way (a close event, a hook) gets to finish.
 */
export async function untilSpans (app, exporter, predicate, rounds = 2000) {
  for (let i = 0; i < rounds; i++) {
    await app.otel.forceFlush()
    const spans = exporter.getFinishedSpans()
    if (predicate(spans)) return spans
    await nextTurn()
  }
  throw new Error(
    `spans never matched; have ${exporter
      .getFinishedSpans()
      .map((s) => s.name)
      .join(', ')}`
  )
}

/**
 * A span's attributes without the request's coverage figures (fastify.request.uncovered_*): they
 * are times, which differ by nature between two runs of the same request.
 */
export function withoutTimings (attributes) {
  return Object.fromEntries(
    Object.entries(attributes ?? {}).filter(([key]) => !key.startsWith('fastify.request.uncovered_'))
  )
}

export const parentOf = (span) => span.parentSpanContext?.spanId
export const idOf = (span) => span.spanContext().spanId
export const traceOf = (span) => span.spanContext().traceId

/** hrtime [s, ns] to nanoseconds as a BigInt, for exact ordering comparisons. */
export const ns = ([s, n]) => BigInt(s) * 1_000_000_000n + BigInt(n)

/**
 * A collector that never answers: a TCP server on 127.0.0.1 that takes connections and bytes and
 * says nothing back, closed after the test. `reached` resolves on the first bytes; `sockets` holds
 * the open connections.
 */
export async function silentCollector (t) {
  const sockets = new Set()
  let reachedNow
  const reached = new Promise((resolve) => {
    reachedNow = resolve
  })
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('data', () => {})
    socket.once('data', reachedNow)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  return { endpoint: `http://127.0.0.1:${server.address().port}`, server, sockets, reached }
}

/** Listens on 127.0.0.1 with a free port and returns the base URL. */
export async function serve (app) {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address()
  return `http://127.0.0.1:${port}`
}

/** A plain HTTP request over a real socket (no tracing on the client side). */
export async function post (url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
  return { status: res.status, body: await res.text() }
}

/**
 * POSTs `body` over a real socket, sending the headers first and the body only once
 * `serverReady` resolves (say, from a preParsing hook). The body then arrives in a later socket
 * read, outside any request context: the case where naive instrumentation loses the trace.
 */
export function postBodyLater (url, body, serverReady) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode, body: text }))
      }
    )
    req.on('error', reject)
    req.flushHeaders()
    serverReady.then(() => req.end(body), reject)
  })
}

/** An exporter that keeps what it was given and counts shutdowns (an in-memory stand-in for a collector). */
export class RecordingExporter {
  spans = []
  shutdowns = 0
  export (spans, done) {
    this.spans.push(...spans)
    done({ code: 0 })
  }

  async shutdown () {
    this.shutdowns++
  }

  async forceFlush () {}
}
