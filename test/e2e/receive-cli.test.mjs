// `fastify-otel-kit receive`, as a user runs it: a child process with a local OTLP receiver that
// prints each trace as a waterfall with its log records under it, whichever protocol the service
// exports over, and stops on Ctrl-C with a count of what it received.
import Fastify from 'fastify'
import otelPlugin, { withSpan } from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

/** Starts `receive` on free ports; resolves with the ports from its banner and its output so far. */
async function startReceive (t, args = ['--http-port', '0', '--grpc-port', '0', '--quiet', '200']) {
  const child = spawn(process.execPath, [cli, 'receive', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const output = { stdout: '', stderr: '' }
  child.stdout.on('data', (chunk) => {
    output.stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    output.stderr += chunk
  })
  const waitFor = async (pattern) => {
    while (!pattern.test(output.stdout)) {
      if (child.exitCode !== null) throw new Error(`receive exited: ${output.stderr}`)
      await once(child.stdout, 'data')
    }
    return output.stdout
  }
  const banner = await waitFor(/Ctrl-C stops/)
  const httpPort = Number(/OTLP\/HTTP \(protobuf, JSON\) on 127\.0\.0\.1:(\d+)/.exec(banner)[1])
  const grpcPort = Number(/OTLP\/gRPC on 127\.0\.0\.1:(\d+)/.exec(banner)[1])
  return { child, output, waitFor, httpPort, grpcPort }
}

/** Runs the CLI with `args` to its exit; resolves with its exit code and output. */
function runCli (args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => { stdout += c })
    child.stderr.on('data', (c) => { stderr += c })
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

/** A port something else listens on, for the test's life. */
async function busyPort (t) {
  const busy = net.createServer()
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.after(() => busy.close())
  return busy.address().port
}

/**
 * A service exporting over OTLP/HTTP to the receiver, closed with the test; `options` go over the
 * plugin options it shares with the others (no signal handling, no metrics).
 */
async function shopService (t, receive, { exporter = {}, ...options } = {}) {
  const app = Fastify({ logger: { level: 'info', stream: { write () {} } } })
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'shop',
    handleSignals: false,
    metrics: false,
    ...options,
    exporter: { endpoint: `http://127.0.0.1:${receive.httpPort}`, ...exporter }
  })
  return app
}

/** A service that exports one trace of two spans and a log line to `endpoint` over `protocol`. */
async function exportOnce (protocol, endpoint, route) {
  const app = Fastify({ logger: { level: 'info', stream: { write () {} } } })
  await app.register(
    otelPlugin,
    // lifecycleSpans off: the trace is expected with its two spans, and a slow phase on a loaded machine adds one.
    { serviceName: 'shop', handleSignals: false, logs: true, lifecycleSpans: 'off', exporter: { protocol, endpoint } }
  )
  app.get(route, async (request) => {
    request.log.info({ item: 'book' }, `added over ${protocol}`)
    return withSpan('cart.add', () => 'ok')
  })
  await app.inject({ url: route })
  await app.close()
}

test('receive prints each trace as a waterfall with its log records, over HTTP and gRPC, and Ctrl-C stops ' +
  'it', { timeout: 30_000 }, async (t) => {
  const receive = await startReceive(t)
  await exportOnce('http/protobuf', `http://127.0.0.1:${receive.httpPort}`, '/cart/http')
  await receive.waitFor(/added over http\/protobuf/)
  await exportOnce('grpc', `http://127.0.0.1:${receive.grpcPort}`, '/cart/grpc')
  await exportOnce('http/json', `http://127.0.0.1:${receive.httpPort}`, '/cart/json')
  const out = await receive.waitFor(/added over grpc[\s\S]*added over http\/json|added over http\/json[\s\S]*added over grpc/)
  for (const route of ['/cart/http', '/cart/grpc', '/cart/json']) {
    assert.match(out, new RegExp(`trace [0-9a-f]{32}  shop  2 spans .*\\n  GET ${route.replace(/\//g, '\\/')} +SERVER .*\\n  └─ cart\\.add +INTERNAL`))
  }
  assert.match(out, /log records\n.*INFO {3}added over http\/protobuf {2}\[GET \/cart\/http\] {2}item=book/)
  receive.child.kill('SIGINT')
  const [code] = await once(receive.child, 'exit')
  assert.equal(code, 0, receive.output.stderr)
  // Each of the three services also sent its metrics when it closed (on by default).
  const [, metricCount] = receive.output.stdout.match(/received 6 span\(s\), 9 log record\(s\), (\d+) metric\(s\)\n$/)
  assert.ok(Number(metricCount) >= 3 * 2, metricCount)
  // And their values: each service's request, by route, status and latency.
  for (const route of ['/cart/http', '/cart/grpc', '/cart/json']) {
    assert.match(receive.output.stdout, new RegExp(`  GET ${route.replace(/\//g, '\\/')} +200 +1 `))
  }
})

test('log records that arrive before their spans (1 s and 5 s queues, scaled down here) are printed under ' +
  'the waterfall when the spans come, not as a trace of log records only', { timeout: 30_000 }, async (t) => {
  const receive = await startReceive(t)
  const app = await shopService(t, receive, {
    logs: { batch: { scheduledDelayMillis: 50 } },
    batch: { scheduledDelayMillis: 1500 }
  })
  app.get('/cart/late', async (request) => {
    request.log.info('logged before the span is exported')
    return 'ok'
  })
  await app.inject({ url: '/cart/late' })
  const out = await receive.waitFor(/GET \/cart\/late +SERVER[^]*log records\n/)
  assert.doesNotMatch(out, /log records only/)
  assert.match(out, /log records\n.*INFO {3}logged before the span is exported {2}\[GET \/cart\/late\]/)
})

test('receive --details: each span\'s attributes, the resource once, the header names an export came with and ' +
  'never their values', { timeout: 30_000 }, async (t) => {
  const receive = await startReceive(t, ['--http-port', '0', '--grpc-port', '0', '--quiet', '200', '--details'])
  const app = await shopService(t, receive, {
    resourceAttributes: { team: 'payments' },
    lifecycleSpans: 'off',
    exporter: { headers: { 'x-api-key': 'SECRET-KEY-71c2' } }
  })
  app.get('/orders/:id', async () => 'ok')
  await app.inject({ url: '/orders/7', headers: { 'user-agent': 'curl\u001b[31m' } })
  await app.inject({ url: '/orders/8' })
  await app.otel.forceFlush()
  const out = await receive.waitFor(/GET \/orders\/:id: [^\n]*\n[^]*GET \/orders\/:id: [^\n]*\n/)
  assert.match(out, /^headers of traces over http \(application\/x-protobuf\): x-api-key {2}\(values not shown\)$/m)
  assert.equal(out.match(/^resource of shop: /gm).length, 1, out)
  assert.match(out, /^resource of shop: [^\n]*service\.name="shop"[^\n]* {2}team="payments"/m)
  assert.match(out, /^ {2}GET \/orders\/:id: [^\n]*http\.route="\/orders\/:id"[^\n]* {2}url\.path="\/orders\/7"/m)
  // Types tell apart, and a client's control characters reach no terminal.
  assert.match(out, /http\.response\.status_code=200 /)
  assert.match(out, /user_agent\.original="curl\\u001b\[31m"/)
  assert.ok(!out.includes('\u001b'), 'no raw escape character printed')
  assert.ok(!out.includes('SECRET-KEY-71c2'), out)
})

test('receive prints no control character a service sent: a log body that would clear the screen is shown ' +
  'escaped', { timeout: 30_000 }, async (t) => {
  const receive = await startReceive(t)
  const app = await shopService(t, receive, { lifecycleSpans: 'off', logs: true })
  app.get('/agent', async (request) => {
    request.log.info('client said \u001b[2J\u001b[31mhello')
    return 'ok'
  })
  await app.inject({ url: '/agent' })
  await app.otel.forceFlush()
  const out = await receive.waitFor(/client said/)
  assert.match(out, /client said \\u001b\[2J\\u001b\[31mhello/)
  assert.ok(!out.includes('\u001b'), 'no raw escape character printed')
})

test('a port in use: receive says which option to change and exits 1', async (t) => {
  const port = await busyPort(t)
  const { code, stderr } = await runCli(['receive', '--http-port', String(port), '--grpc-port', '0'])
  assert.equal(code, 1)
  assert.match(stderr, new RegExp(`cannot listen: port ${port} \\(--http-port\\) is in use \\(a collector ` +
    'already running\\?\\)'))
})

test('the gRPC port in use: one line, the fix, and nothing from grpc-js itself', async (t) => {
  const port = await busyPort(t)
  const { code, stderr } = await runCli(['receive', '--http-port', '0', '--grpc-port', String(port)])
  assert.equal(code, 1)
  assert.equal(
    stderr,
    `fastify-otel-kit receive: cannot listen: port ${port} (--grpc-port) is in use (a collector already running?): ` +
      'choose another with that option\n'
  )
})

test('usage: --help lists the options; a bad port is a usage error', async () => {
  const help = await runCli(['receive', '--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /--http-port <port> +OTLP\/HTTP, protobuf and JSON \(default 4318/)
  const bad = await runCli(['receive', '--grpc-port', 'lots'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--grpc-port must be a port from 0 to 65535/)
  const commands = await runCli([])
  assert.equal(commands.code, 2)
  assert.match(commands.stdout, /receive +run a local OTLP receiver/)
})

test('--tls-cert and --tls-key: receive listens over TLS on both protocols; with --tls-client-ca it requires ' +
  'client certificates', { timeout: 30_000 }, async (t) => {
  const tls = (name) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url))
  const receive = await startReceive(t, ['--http-port', '0', '--grpc-port', '0', '--quiet', '200',
    '--tls-cert', tls('server.pem'), '--tls-key', tls('server.key'), '--tls-client-ca', tls('ca.pem')])
  const banner = receive.output.stdout
  assert.match(banner, new RegExp(`OTEL_EXPORTER_OTLP_ENDPOINT=https://localhost:${receive.httpPort}\\n`))
  assert.match(banner, /TLS: set OTEL_EXPORTER_OTLP_CERTIFICATE to the CA that signed --tls-cert, and OTEL_EXPORTER_OTLP_CLIENT_KEY/)
  const mutual = {
    certificateFile: tls('ca.pem'),
    clientKeyFile: tls('client.key'),
    clientCertificateFile: tls('client.pem')
  }
  for (const [protocol, port] of [['http/protobuf', receive.httpPort], ['grpc', receive.grpcPort]]) {
    const app = Fastify({ logger: { level: 'info', stream: { write () {} } } })
    await app.register(otelPlugin, {
      serviceName: 'shop',
      handleSignals: false,
      metrics: false,
      exporter: { protocol, endpoint: `https://localhost:${port}`, ...mutual }
    })
    app.get(`/tls/${protocol === 'grpc' ? 'grpc' : 'http'}`, async () => 'ok')
    await app.inject({ url: `/tls/${protocol === 'grpc' ? 'grpc' : 'http'}` })
    await app.close()
  }
  const out = await receive.waitFor(/GET \/tls\/http[\s\S]*GET \/tls\/grpc|GET \/tls\/grpc[\s\S]*GET \/tls\/http/)
  assert.match(out, /trace [0-9a-f]{32} {2}shop/)
  // A half pair of flags is a usage error.
  const half = await runCli(['receive', '--tls-cert', tls('server.pem')])
  assert.equal(half.code, 2)
  assert.match(half.stderr, /--tls-cert and --tls-key go together/)
})
