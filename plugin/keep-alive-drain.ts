import type { FastifyInstance } from 'fastify'

/** How often, while the app closes, the connections that have gone idle are closed. */
const DRAIN_EVERY_MILLIS = 25

interface DrainableServer {
  closeIdleConnections?: () => void
  listening?: boolean
  once(event: 'close', listener: () => void): unknown
}

/**
 * Lets the app's close end with its last request, as Fastify's default `forceCloseConnections:
 * 'idle'` means to. Fastify 5 (5.12.8 and earlier) leaves open a kept-alive connection whose
 * request was still running when close began: Node's `server.close()` closes the connections idle
 * at that moment, and none later (fastify/fastify#7044). close then waits until the client hangs up,
 * or for `keepAliveTimeout` (72 s by default): behind a load balancer, on every deploy. The plugin's
 * own flush runs in `onClose`, after the server has closed, so a pod killed before then lost the
 * telemetry of its last seconds; with `handleSignals`, the shutdown bound cut close short and
 * warned (`FOK_WARN_SHUTDOWN_SLOW`) with no request running.
 *
 * From `preClose` until the server has closed, the connections that have gone idle are closed
 * every 25 ms: a request running when close began still gets its whole answer (what
 * `forceCloseConnections: true` would cut), and its connection is closed right after. With
 * `forceCloseConnections` set to `true` or `false` by the application, nothing is done: Fastify
 * closes every connection itself, or the application asked for them to be left alone.
 * `test/fastify/keep-alive-drain.test.mjs` holds Fastify's behaviour without this, so that this
 * goes once Fastify closes such connections itself.
 */
export function drainKeptAliveConnectionsOnClose (instance: FastifyInstance): void {
  const setting = (instance.initialConfig as { forceCloseConnections?: boolean | string }).forceCloseConnections
  if (setting !== undefined && setting !== 'idle') return
  instance.addHook('preClose', function drainKeptAliveConnections (this: FastifyInstance, done) {
    const server = this.server as unknown as DrainableServer
    if (typeof server.closeIdleConnections !== 'function' || server.listening !== true) {
      done()
      return
    }
    const timer = setInterval(() => server.closeIdleConnections!(), DRAIN_EVERY_MILLIS)
    // Never what keeps the process up: close waits for the server, not for this.
    timer.unref()
    server.once('close', () => clearInterval(timer))
    done()
  })
}
