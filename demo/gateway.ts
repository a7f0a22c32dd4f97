import { createServer, type Server } from 'node:http'
import { once } from 'node:events'

/**
 * A stand-in for a payment gateway, on loopback: it answers refunds after a short delay, and
 * hangs for orders whose id ends in 9, so the caller's timeout fires ("sometimes times out").
 */
export async function startGateway (): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const slow = /9$/.test(req.url ?? '')
    const delay = slow ? 2000 : 8 + Math.floor(Math.random() * 8)
    const timer = setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ refunded: true, traceparentSeen: req.headers.traceparent ?? null }))
    }, delay)
    res.on('close', () => clearTimeout(timer))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    }
  }
}
