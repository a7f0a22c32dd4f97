// `fastify-otel-kit doctor --summary`: a running service's app.otel.routeSummary(), served on a
// route of the service or saved in a file, printed by the doctor in its own process.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

function doctor (args) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')))
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'doctor', '--no-export', ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error?.code ?? 0, stdout, stderr })
    })
  })
}

async function service (t, { adminToken } = {}) {
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
  app.get('/admin/otel-summary', {
    config: { otel: false },
    onRequest: async (request, reply) => {
      if (adminToken !== undefined && request.headers.authorization !== `Bearer ${adminToken}`) {
        return reply.code(401).send({ error: 'unauthorized' })
      }
    }
  }, async () => app.otel.routeSummary())
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

test('doctor --summary behind authentication: --summary-header sends the credential, which no output shows; ' +
  'without it, a 401 says what to pass; a credential in the URL is redacted', async (t) => {
  const token = 'ADMIN-TOKEN-5b1e'
  const { url } = await service(t, { adminToken: token })
  const refused = await doctor(['--summary', url])
  assert.equal(refused.code, 1)
  assert.match(refused.stdout, /✗ could not read it: http:\/\/127\.0\.0\.1:\d+\/admin\/otel-summary answered 401/)
  assert.match(refused.stdout, /--summary-header "authorization: \.\.\."/)

  const allowed = await doctor(['--summary', url, '--summary-header', `Authorization: Bearer ${token}`])
  assert.equal(allowed.code, 0, allowed.stdout)
  assert.match(allowed.stdout, LINE)
  assert.ok(!allowed.stdout.includes(token))

  const inUrl = await doctor([
    '--summary', `${url}?token=${token}`,
    '--summary-header', `authorization: Bearer ${token}`
  ])
  assert.equal(inUrl.code, 0, inUrl.stdout)
  assert.match(inUrl.stdout, /Route summary \(http:\/\/127\.0\.0\.1:\d+\/admin\/otel-summary\?token=\[REDACTED\]\)/)
  assert.ok(!inUrl.stdout.includes(token))

  const malformed = await doctor(['--summary', url, '--summary-header', `Bearer ${token}`])
  assert.equal(malformed.code, 2)
  assert.match(malformed.stderr, /--summary-header number 1 is not "name: value" \(its text is not shown\)/)
  assert.ok(!malformed.stderr.includes(token))
  // Unquoted, the token is an argument of its own: said, never shown.
  const unquoted = await doctor(['--summary', url, '--summary-header', 'authorization:', 'Bearer', token])
  assert.equal(unquoted.code, 2)
  assert.match(unquoted.stderr, /an argument that belongs to no option \(not shown/)
  assert.ok(!unquoted.stderr.includes(token) && !unquoted.stdout.includes(token))
  const broken = await doctor(['--summary', url, '--summary-header', `authorization: Bearer ${token}\r\nx: y`])
  assert.equal(broken.code, 2)
  assert.match(broken.stderr, /--summary-header number 1 has a character no header value may hold/)
  assert.ok(!broken.stderr.includes(token))
})

test('doctor --summary never sends its headers on: a redirect is reported, not followed; a password in the ' +
  'URL is refused with what to do instead', async (t) => {
  const token = 'ADMIN-TOKEN-90d4'
  let stolen = 0
  const elsewhere = createServer((req, res) => {
    if (req.headers['x-api-key'] !== undefined) stolen++
    res.end('{}')
  })
  elsewhere.listen(0, '127.0.0.1')
  await once(elsewhere, 'listening')
  t.after(() => elsewhere.close())
  const redirecting = createServer((req, res) => {
    res.writeHead(302, { location: `http://localhost:${elsewhere.address().port}/steal?key=${token}` }).end()
  })
  redirecting.listen(0, '127.0.0.1')
  await once(redirecting, 'listening')
  t.after(() => redirecting.close())
  const url = `http://127.0.0.1:${redirecting.address().port}/admin/otel-summary`
  const moved = await doctor(['--summary', url, '--summary-header', `x-api-key: ${token}`])
  assert.equal(moved.code, 1)
  assert.match(moved.stdout, /answered 302, a redirect to http:\/\/localhost:\d+\/steal\?key=\[REDACTED\], not followed/)
  assert.equal(stolen, 0)
  assert.ok(!moved.stdout.includes(token))

  const withPassword = await doctor(['--summary', `http://admin:${token}@127.0.0.1:1/summary`])
  assert.equal(withPassword.code, 1)
  assert.match(withPassword.stdout, /http:\/\/\[REDACTED\]@127\.0\.0\.1:1\/summary holds a user name or password/)
  assert.ok(!withPassword.stdout.includes(token))
})

test('doctor --summary-header without a --summary URL is a usage error', async () => {
  const { code, stderr } = await doctor(['--summary-header', 'authorization: Bearer x'])
  assert.equal(code, 2)
  assert.match(stderr, /--summary-header goes with a --summary URL/)
})
