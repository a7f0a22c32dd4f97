// Propagation micro-costs with tinybench, in ns/op: each propagator's inject and extract, the
// default composite, the context module's carriers and activations, a request's HTTP metrics
// (./metrics.mjs), and the queue helpers beside the carrier alone (./queues.mjs). In-process, no I/O.
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  trace
} from '@opentelemetry/api'
import { W3CBaggagePropagator, W3CTraceContextPropagator as OtelW3CPropagator } from '@opentelemetry/core'
import { B3InjectEncoding, B3Propagator as OtelB3Propagator } from '@opentelemetry/propagator-b3'
import { attach, captureContext, detach, ensureContextManager, withContext } from 'fastify-otel-kit/context'
// The propagators are internal (not exported by the package): measured from the build.
import { B3Propagator } from '../../dist/context/b3.js'
import { PriorityCompositePropagator } from '../../dist/context/composite-propagator.js'
import { W3CTraceContextPropagator } from '../../dist/context/w3c-trace-context.js'
import { Bench } from 'tinybench'
import { queueCases } from './queues.mjs'
import { metricsCases } from './metrics.mjs'

export async function runMicro ({ timeMillis, log }) {
  ensureContextManager()
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  const spanId = '00f067aa0ba902b7'
  const sampled = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: 1, isRemote: false })
  const withBaggage = propagation.setBaggage(sampled, propagation.createBaggage({ tenant: { value: 'acme' } }))
  const w3c = new W3CTraceContextPropagator()
  const otelW3c = new OtelW3CPropagator()
  const b3single = new B3Propagator({ inject: 'single' })
  const b3multi = new B3Propagator({ inject: 'multi' })
  const otelB3single = new OtelB3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER })
  const otelB3multi = new OtelB3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })
  const composite = new PriorityCompositePropagator([w3c, new W3CBaggagePropagator(), b3multi])
  const headers = {
    w3c: { traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'vendor=abc' },
    b3single: { b3: `${traceId}-${spanId}-1` },
    b3multi: { 'x-b3-traceid': traceId, 'x-b3-spanid': spanId, 'x-b3-sampled': '1' },
    composite: { traceparent: `00-${traceId}-${spanId}-01`, baggage: 'tenant=acme' }
  }
  const carrier = captureContext(withBaggage)
  let sink
  const bench = new Bench({ time: timeMillis, warmupTime: Math.min(200, timeMillis) })
  const cases = [
    [
      'W3C traceparent extract',
      () => {
        sink = w3c.extract(ROOT_CONTEXT, headers.w3c, defaultTextMapGetter)
      }
    ],
    [
      'W3C traceparent inject',
      () => {
        const c = {}
        w3c.inject(sampled, c, defaultTextMapSetter)
        sink = c
      }
    ],
    [
      'W3C extract, OpenTelemetry JS propagator (reference)',
      () => {
        sink = otelW3c.extract(ROOT_CONTEXT, headers.w3c, defaultTextMapGetter)
      }
    ],
    [
      'W3C inject, OpenTelemetry JS propagator (reference)',
      () => {
        const c = {}
        otelW3c.inject(sampled, c, defaultTextMapSetter)
        sink = c
      }
    ],
    [
      'B3 single extract',
      () => {
        sink = b3single.extract(ROOT_CONTEXT, headers.b3single, defaultTextMapGetter)
      }
    ],
    [
      'B3 single inject',
      () => {
        const c = {}
        b3single.inject(sampled, c, defaultTextMapSetter)
        sink = c
      }
    ],
    [
      'B3 multi extract',
      () => {
        sink = b3multi.extract(ROOT_CONTEXT, headers.b3multi, defaultTextMapGetter)
      }
    ],
    [
      'B3 multi inject',
      () => {
        const c = {}
        b3multi.inject(sampled, c, defaultTextMapSetter)
        sink = c
      }
    ],
    [
      'B3 single extract, OpenTelemetry JS propagator (reference)',
      () => {
        sink = otelB3single.extract(ROOT_CONTEXT, headers.b3single, defaultTextMapGetter)
      }
    ],
    [
      'B3 single inject, OpenTelemetry JS propagator (reference)',
      () => {
        const c = {}
        otelB3single.inject(sampled, c, defaultTextMapSetter)
        sink = c
      }
    ],
    [
      'B3 multi extract, OpenTelemetry JS propagator (reference)',
      () => {
        sink = otelB3multi.extract(ROOT_CONTEXT, headers.b3multi, defaultTextMapGetter)
      }
    ],
    [
      'B3 multi inject, OpenTelemetry JS propagator (reference)',
      () => {
        const c = {}
        otelB3multi.inject(sampled, c, defaultTextMapSetter)
        sink = c
      }
    ],
    [
      'default composite extract (W3C + baggage + B3 multi)',
      () => {
        sink = composite.extract(ROOT_CONTEXT, headers.composite, defaultTextMapGetter)
      }
    ],
    [
      'default composite inject',
      () => {
        const c = {}
        composite.inject(withBaggage, c, defaultTextMapSetter)
        sink = c
      }
    ],
    [
      'captureContext',
      () => {
        sink = captureContext(withBaggage)
      }
    ],
    [
      'withContext (carrier)',
      () => {
        sink = withContext(carrier, () => 1)
      }
    ],
    [
      'withContext (Context object)',
      () => {
        sink = withContext(withBaggage, () => 1)
      }
    ],
    [
      'context.with (baseline)',
      () => {
        sink = context.with(withBaggage, () => 1)
      }
    ],
    [
      'attach + detach',
      () => {
        detach(attach(withBaggage))
      }
    ],
    ...metricsCases()
  ]
  // Every case runs warm: tinybench measures them one after the other, and without this the first
  // rows (ours) paid for compiling what the later rows (the references) then found ready.
  for (let round = 0; round < 3; round++) for (const [, fn] of cases) for (let i = 0; i < 20000; i++) fn()
  for (const [name, fn] of cases) bench.add(name, fn)
  await bench.run()
  // eslint-disable-next-line no-void -- reads the sink once, so what the cases wrote to it counts as used
  void sink
  // The queue helpers make spans: measured under an SDK provider of their own, registered only now.
  const queues = queueCases()
  const queueBench = new Bench({ time: timeMillis, warmupTime: Math.min(200, timeMillis) })
  for (let round = 0; round < 3; round++) for (const [, fn] of queues.cases) for (let i = 0; i < 20000; i++) fn()
  for (const [name, fn] of queues.cases) queueBench.add(name, fn)
  await queueBench.run()
  queues.done()
  return [...bench.tasks, ...queueBench.tasks].map((task) => {
    const latency = task.result.latency
    const row = {
      name: task.name,
      nsPerOp: Number((latency.mean * 1e6).toFixed(1)),
      p99Ns: Number((latency.p99 * 1e6).toFixed(1)),
      samples: latency.samplesCount
    }
    log(`  ${row.name.padEnd(62)} ${String(row.nsPerOp).padStart(8)} ns/op`)
    return row
  })
}
