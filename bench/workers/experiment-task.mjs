// Worker handlers for isolating the cost of each step of runInWorker (not a scenario of the suite;
// the README cites the result): a plain envelope, an async handler, AsyncLocalStorage, carrier
// parsing, a tracer provider, and the real entry module, each run through pool.run.
import { AsyncLocalStorage } from 'node:async_hooks'
export function noop (v) {
  return v
}
export function unwrap (envelope) {
  return envelope.task
}
export async function asyncUnwrap (envelope) {
  return envelope.task
}
const als = new AsyncLocalStorage()
export async function alsUnwrap (envelope) {
  return await als.run(envelope, async () => envelope.task)
}
export function unwrapCompact (message) {
  return message[1]
}
import { context, trace } from '@opentelemetry/api'
import { contextFromCarrier, ensureContextManager } from 'fastify-otel-kit/context'
export function h1Parse (envelope) {
  return contextFromCarrier(envelope.carrier) === undefined ? 0 : envelope.task
}
export function h2With (envelope) {
  ensureContextManager()
  return context.with(contextFromCarrier(envelope.carrier), () => envelope.task)
}
let provider
export async function h3Provider (envelope) {
  if (provider === undefined) {
    const { TracerProvider } = await import('@opentelemetry/sdk-trace')
    provider = new TracerProvider({})
    trace.setGlobalTracerProvider(provider)
  }
  ensureContextManager()
  return context.with(contextFromCarrier(envelope.carrier), () => envelope.task)
}
let entry
export async function h4Entry (envelope) {
  if (entry === undefined) {
    // The entry answers one export per target (workers/protocol/task-target.ts); this module's noop.
    const { targetKey } = await import(new URL('../../dist/workers/protocol/task-target.js', import.meta.url))
    const { default: exports } = await import(new URL('../../dist/workers/worker/traced-entry.js', import.meta.url))
    entry = exports[targetKey({ filename: new URL(import.meta.url).pathname, name: 'noop' })]
  }
  // A protocol-2 envelope for an unsampled caller: [mark, traceId, spanId, flags, task].
  return entry(['fastify-otel-kit/task@2', '4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 0, envelope.task])
}
