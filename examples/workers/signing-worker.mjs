// A worker module that marks its task function: tracedTask. Plain pool.run calls still work, untraced.
import { trace } from '@opentelemetry/api'
import { createHmac } from 'node:crypto'
import { tracedTask } from 'fastify-otel-kit/workers/task'

export default tracedTask(async function sign (receipt) {
  const span = trace.getActiveSpan() // the task span, a child of the dispatch span on the main thread
  span?.setAttribute('receipt.id', receipt.id)
  return { id: receipt.id, signature: createHmac('sha256', 'demo-key').update(receipt.id).digest('hex') }
})
