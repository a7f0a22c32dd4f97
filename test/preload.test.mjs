// The preload entry, as a user runs it: two services in real child processes, each started with
// the flag (ES modules with --import, CommonJS with --require), a plain fetch from the first to the
// second, and every span checked at a real OTLP/gRPC receiver: one trace across both services, one
// SERVER span per service per request, the fetch's CLIENT span between them, W3C and B3 inbound.
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../dist/receiver/otlp-receiver.js'

const SERVER = 2
const CLIENT = 3
const INBOUND_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const INBOUND_SPAN = '00f067aa0ba902b7'

/** Starts one service with the preload flag; resolves once it listens. */
async function startService (t, variant, serviceName, receiver, env = {}) {
  const file = fileURLToPath(new URL(`./fixtures/preload/service.${variant === 'esm' ? 'mjs' : 'cjs'}`, import.meta.url))
  const child = fork(file, [], {
    execArgv: [variant === 'esm' ? '--import' : '--require', 'fastify-otel-kit/register'],
    env: { ...process.env, OTEL_SERVICE_NAME: serviceName, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', ...env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc']
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  t.after(() => child.kill())
  const [ready] = await once(child, 'message')
  return {
    url: `http://127.0.0.1:${ready.port}`,
    owner: ready.owner,
    stderr: () => stderr,
    finish: async () => {
      child.send('finish')
      await once(child, 'exit')
    }
  }
}

for (const variant of ['esm', 'cjs']) {
  test(`${variant === 'esm' ? 'ES modules with --import' : 'CommonJS with --require'}: one trace across two services, one SERVER span each, the fetch's CLIENT span between`, { timeout: 60_000 }, async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const stock = await startService(t, variant, 'stock', receiver)
    const orders = await startService(t, variant, 'orders', receiver, { DOWNSTREAM_URL: stock.url })
    // The plugin found the preload's SDK and used it.
    assert.equal(orders.owner, 'plugin')

    const plain = await (await fetch(`${orders.url}/orders/1`)).json()
    const w3c = await (await fetch(`${orders.url}/orders/2`, { headers: { traceparent: `00-${INBOUND_TRACE}-${INBOUND_SPAN}-01` } })).json()
    const b3 = await (await fetch(`${orders.url}/orders/3`, { headers: { b3: `${'a'.repeat(32)}-${'b'.repeat(16)}-1` } })).json()
    await orders.finish()
    await stock.finish()
    const spans = await receiver.waitFor((all) => all.length >= 9)

    const service = (span) => span.resource['service.name']
    for (const [result, inbound] of [[plain, undefined], [w3c, { trace: INBOUND_TRACE, span: INBOUND_SPAN }], [b3, { trace: 'a'.repeat(32), span: 'b'.repeat(16) }]]) {
      const trace = spans.filter((s) => s.traceId === result.traceId)
      // Exactly these three: the orders SERVER span, the fetch's CLIENT span, the stock SERVER span.
      assert.deepEqual(trace.map((s) => `${service(s)} ${s.kind} ${s.name}`).sort(),
        ['orders 2 GET /orders/:id', 'orders 3 GET', 'stock 2 GET /stock/:id'], JSON.stringify(trace.map((s) => [service(s), s.kind, s.name])))
      const ordersServer = trace.find((s) => service(s) === 'orders' && s.kind === SERVER)
      const client = trace.find((s) => s.kind === CLIENT)
      const stockServer = trace.find((s) => service(s) === 'stock')
      assert.equal(client.parentSpanId, ordersServer.spanId)
      assert.equal(stockServer.parentSpanId, client.spanId)
      // The stock service received the CLIENT span's context with the plain fetch.
      assert.equal(result.stock.traceparent, `00-${result.traceId}-${client.spanId}-01`)
      // The plugin made instrumentation-http's span the request span: its attributes are there.
      assert.equal(ordersServer.scope.name, '@opentelemetry/instrumentation-http')
      assert.equal(ordersServer.attributes['http.route'], '/orders/:id')
      assert.equal(ordersServer.attributes['http.response.status_code'], 200)
      assert.equal(client.scope.name, '@opentelemetry/instrumentation-undici')
      if (inbound === undefined) {
        assert.equal(ordersServer.parentSpanId, '')
      } else {
        assert.equal(result.traceId, inbound.trace)
        assert.equal(ordersServer.parentSpanId, inbound.span)
      }
    }
    assert.equal(spans.length, 9)
    assert.doesNotMatch(orders.stderr() + stock.stderr(), /FastifyOtelKitWarning/)
  })
}

test('OTEL_NODE_ENABLED_INSTRUMENTATIONS: a package that is not installed is reported once, the others work', { timeout: 30_000 }, async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const service = await startService(t, 'esm', 'pick', receiver, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg-not-installed,undici,pg-not-installed' })
  await fetch(`${service.url}/orders/1`)
  await service.finish()
  const missing = service.stderr().match(/\[FOK_WARN_INSTRUMENTATION_MISSING\][^\n]*/g) ?? []
  assert.equal(missing.length, 1, service.stderr())
  assert.match(missing[0], /instrumentation "pg-not-installed" is not installed: `npm install @opentelemetry\/instrumentation-pg-not-installed`/)
  // http and undici still work: the request's own fetch to itself is one trace of three spans.
  const spans = await receiver.waitFor((all) => all.length >= 3)
  assert.deepEqual(spans.map((s) => `${s.kind} ${s.name}`).sort(), ['2 GET /orders/:id', '2 GET /stock/:id', '3 GET'])
})

test('OTEL_NODE_DISABLED_INSTRUMENTATIONS removes one: no CLIENT span for fetch, and no traceparent sent', { timeout: 30_000 }, async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const service = await startService(t, 'esm', 'no-undici', receiver, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici' })
  const body = await (await fetch(`${service.url}/orders/1`)).json()
  await service.finish()
  assert.equal(body.stock.traceparent, null)
  const spans = await receiver.waitFor((all) => all.length >= 2)
  assert.deepEqual(spans.map((s) => `${s.kind} ${s.name}`).sort(), ['2 GET /orders/:id', '2 GET /stock/:id'])
})

test('extractOnly with the preload: inbound context is read, and no instrumentation injects (the sidecar owns outbound)', { timeout: 30_000 }, async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const service = await startService(t, 'esm', 'sidecar', receiver, { PLUGIN_OPTIONS: JSON.stringify({ extractOnly: true }) })
  const body = await (await fetch(`${service.url}/orders/1`, { headers: { traceparent: `00-${INBOUND_TRACE}-${INBOUND_SPAN}-01` } })).json()
  await service.finish()
  assert.equal(body.traceId, INBOUND_TRACE)
  assert.equal(body.stock.traceparent, null)
})

test('SDK options given to the plugin while the preload set the SDK up: a warning names them', { timeout: 30_000 }, async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const service = await startService(t, 'esm', 'env-wins', receiver, { PLUGIN_OPTIONS: JSON.stringify({ serviceName: 'from-code', batch: 'aggressive' }) })
  await service.finish()
  assert.match(service.stderr(), /\[FOK_WARN_CONFIG\] FastifyOtelKitWarning: fastify-otel-kit: options serviceName, batch are not applied: the SDK was set up from the environment by the preload entry/)
})

test('late start: fastify loaded before the preload is warned about, with the fix', { timeout: 30_000 }, async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const file = fileURLToPath(new URL('./fixtures/preload/service.cjs', import.meta.url))
  const child = fork(file, [], {
    execArgv: ['--require', 'fastify', '--require', 'fastify-otel-kit/register'],
    env: { ...process.env, OTEL_SERVICE_NAME: 'late', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc']
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  t.after(() => child.kill())
  await once(child, 'message')
  child.send('finish')
  await once(child, 'exit')
  assert.match(stderr, /\[FOK_WARN_LATE_START\] FastifyOtelKitWarning: fastify-otel-kit: fastify, http, https were loaded before fastify-otel-kit\/register ran: put the preload first/)
})

test('SIGTERM with the preload: a process without Fastify exports its spans and exits', { timeout: 30_000 }, async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const child = fork(fileURLToPath(new URL('./fixtures/preload/script.mjs', import.meta.url)), [], {
    execArgv: ['--import', 'fastify-otel-kit/register'],
    env: { ...process.env, OTEL_SERVICE_NAME: 'job', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '60000' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  t.after(() => child.kill())
  await once(child, 'message')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  assert.equal(code, 0)
  assert.deepEqual(receiver.spans.map((s) => s.name).sort(), ['job.step 0', 'job.step 1', 'job.step 2', 'job.step 3', 'job.step 4'])
})

test('SIGTERM with the preload and the plugin: the app is closed, its spans delivered, exit 0', { timeout: 30_000 }, async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const file = fileURLToPath(new URL('./fixtures/preload/service.mjs', import.meta.url))
  const child = fork(file, [], {
    execArgv: ['--import', 'fastify-otel-kit/register'],
    env: { ...process.env, OTEL_SERVICE_NAME: 'term', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '60000', PLUGIN_OPTIONS: '{"handleSignals":true}' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  t.after(() => child.kill())
  const [{ port }] = await once(child, 'message')
  await fetch(`http://127.0.0.1:${port}/orders/1`)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  assert.equal(code, 0)
  assert.deepEqual(receiver.spans.map((s) => `${s.kind} ${s.name}`).sort(), ['2 GET /orders/:id', '2 GET /stock/:id', '3 GET'])
})
