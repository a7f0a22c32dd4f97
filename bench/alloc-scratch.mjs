import Fastify from 'fastify'
import { Session } from 'node:inspector/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import otelPlugin from 'fastify-otel-kit'
const exporter = { export (s, done) { done({ code: 0 }) }, async shutdown () {} }
const bare = process.env.BARE === '1'
const app = Fastify()
if (!bare) await app.register(otelPlugin, { serviceName: 'bench', handleSignals: false, exporter, metrics: false })
app.get('/orders/:id', async (request) => ({ id: request.params.id, ok: true }))
await app.ready()
const headers = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-' + (process.env.FLAGS ?? '00') }
const N = 20000
for (let i = 0; i < 3000; i++) { await app.inject({ url: `/orders/${i}`, headers }); if (i % 400 === 399) await sleep(1) }
const s = new Session(); s.connect()
await s.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
for (let i = 0; i < N; i++) { await app.inject({ url: `/orders/${i}`, headers }); if (i % 400 === 399) await sleep(1) }
const { profile } = await s.post('HeapProfiler.stopSampling')
const self = new Map(); let total = 0
const walk = (n, stack) => {
  const f = n.callFrame; const where = f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/main\//, '')
  const key = `${f.functionName || '(anon)'} ${where}:${f.lineNumber + 1}`
  if (n.selfSize) { self.set(key, (self.get(key) ?? 0) + n.selfSize); total += n.selfSize }
  for (const c of n.children) walk(c)
}
walk(profile.head)
console.log(bare ? 'bare' : 'plugin', (total / N).toFixed(0), 'bytes/req')
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 25))) console.log((v / N).toFixed(0).padStart(6), k)
await app.close()
