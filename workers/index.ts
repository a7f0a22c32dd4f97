/**
 * fastify-otel-kit/workers: the main-thread side of Piscina integration.
 *
 * ```js
 * import { runInWorker } from 'fastify-otel-kit/workers'
 * const receipt = await runInWorker(pool, order, { name: 'render' })
 * ```
 */
export { runInWorker, type RunInWorkerOptions, type PoolLike } from './main/run-in-worker.js'
export { traceWorkerPool, createTracedPool } from './main/traced-pool.js'
export { lostWorkerSpans, type LostWorkerSpans } from './main/lost-spans.js'
