// `fastify-otel-kit doctor --summary`: a running service's app.otel.routeSummary(), served on a
// route of the service or saved in a file, printed by the doctor in its own process.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

function doctor (args) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')))
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'doctor', '--no-export', ...args], { env }, (error, stdout) => {
      resolve({ code: error?.code ?? 0, stdout })
    })
  })
}

async function service (t) {
  const app = Fastify()
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'refunds',
    exporter: new InMemorySpanExporter(),
    handleSignals: false,
    // A cold first request can block for a few ms on a busy machine: not this test's subject.
    blockingThresholdMillis: 1000
  })
  app.post('/refunds/:orderId', {
    preHandler: async function checkEntitlements () {
      await sleep(30)
    }
  }, async () => ({ ok: true }))
  // The service's own admin route: the doctor cannot see the app from its process.
  app.get('/admin/otel-summary', { config: { otel: false } }, async () => app.otel.routeSummary())
  await app.listen({ port: 0, host: '127.0.0.1' })
  for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: `/refunds/o-${i}` })
  return { app, url: `http://127.0.0.1:${app.server.address().port}/admin/otel-summary` }
}

const LINE =
  /^ {2}POST \/refunds\/:orderId: 100 % of \d+ ms is not covered by any span; slowest hook preHandler - checkEntitlements \d+ ms \(3 requests, p95 \d+ ms\)$/m

test('doctor --summary <url> prints the route summary a service serves', async (t) => {
  const { url } = await service(t)
  const { code, stdout } = await doctor(['--summary', url])
  assert.equal(code, 0, stdout)
  assert.match(stdout, /Route summary \(http:\/\/127\.0\.0\.1:\d+\/admin\/otel-summary\)/)
  assert.match(stdout, LINE)
  assert.match(stdout, /event loop \(whole process\): delay p99/)
  assert.match(stdout, /All checks passed\./)
})

test('doctor --summary <file> prints a saved one; an unreadable or foreign file fails the check', async (t) => {
  const { app } = await service(t)
  const dir = mkdtempSync(join(tmpdir(), 'doctor-summary-'))
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(app.otel.routeSummary()))
  const saved = await doctor(['--summary', join(dir, 'summary.json')])
  assert.equal(saved.code, 0, saved.stdout)
  assert.match(saved.stdout, LINE)

  writeFileSync(join(dir, 'other.json'), JSON.stringify({ spans: [] }))
  const foreign = await doctor(['--summary', join(dir, 'other.json')])
  assert.equal(foreign.code, 1)
  assert.match(foreign.stdout, /✗ this is not the JSON of app\.otel\.routeSummary\(\)/)
  const missing = await doctor(['--summary', join(dir, 'missing.json')])
  assert.equal(missing.code, 1)
  assert.match(missing.stdout, /✗ could not read it: ENOENT/)
})
