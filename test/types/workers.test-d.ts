// Types of the worker entry points.
import {
  createTracedPool,
  lostWorkerSpans,
  runInWorker,
  traceWorkerPool,
  type LostWorkerSpans,
  type RunInWorkerOptions
} from 'fastify-otel-kit/workers'
import { tracedTask } from 'fastify-otel-kit/workers/task'
import { Piscina } from 'piscina'

export async function offload (): Promise<void> {
  const pool = traceWorkerPool(new Piscina({ filename: '/tmp/worker.js' }))
  const options: RunInWorkerOptions = {
    name: 'render',
    signal: new AbortController().signal,
    spanName: 'render-receipt'
  }
  const receipt: string = await runInWorker<string>(pool, { id: 1 }, options)
  use(receipt)
  // @ts-expect-error a pool is required
  await runInWorker(undefined, {})
  const traced = createTracedPool<Piscina>({ filename: '/tmp/worker.js', maxThreads: 2 })
  const count: number = await traced.run({ id: 2 }) as number
  use(count)
  const lost: LostWorkerSpans = lostWorkerSpans()
  const total: number = lost.total + lost.stopped + lost.aborted + lost.exited
  use(total)
}

/** Marks values as used: this file is compiled, never run. */
function use (..._values: unknown[]): void {}

export const render = tracedTask(async (order: { id: number }) => `receipt ${order.id}`)
export const result: Promise<string> = render({ id: 1 })
