// plain-worker.mjs: a worker_threads worker without Piscina, continuing the caller's trace.
import { context, trace } from '@opentelemetry/api'
import { parentPort } from 'node:worker_threads'
import { ensureContextManager, withContext } from 'fastify-otel-kit/context'

ensureContextManager() // a plain worker thread has no context manager of its own

function handle (job) {
  // Spans started here would be children of the caller's span; this thread has no exporter, so
  // this example reports the trace it runs in instead.
  return { job, traceId: trace.getSpanContext(context.active())?.traceId }
}

parentPort.on('message', ({ carrier, job }) => parentPort.postMessage(withContext(carrier, () => handle(job))))
