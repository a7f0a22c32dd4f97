// The preload entry, as a user runs it: two services in real child processes, each started with
// the flag (ES modules with --import, CommonJS with --require), a plain fetch from the first to the
// second, and every span checked at a real OTLP/gRPC receiver: one trace across both services, one
// SERVER span per service per request, the fetch's CLIENT span between them, W3C and B3 inbound.
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

const SERVER = 2
const CLIENT = 3
const INBOUND_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const INBOUND_SPAN = '00f067aa0ba902b7'

/** Starts one service with the preload flag; resolves once it listens. */
async function startService (t, variant, serviceName, receiver, env = {}) {
  const file = fileURLToPath(
    new URL(`../fixtures/preload/service.${variant === 'esm' ? 'mjs' : 'cjs'}`, import.meta.url)
  )
  const child = fork(file, [], {
    execArgv: [variant === 'esm' ? '--import' : '--require', 'fastify-otel-kit/register'],
    env: {
      ...process.env,
      OTEL_SERVICE_NAME: serviceName,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...env
    },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc']
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
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
  test(
    `${variant === 'esm' ? 'ES modules with --import' : 'CommonJS with --require'}: one trace across two services, ` +
      "one SERVER span each, the fetch's CLIENT span between",
    { timeout: 60_000 },
    async (t) => {
      const receiver = await OtlpReceiver.start()
      t.after(() => receiver.stop())
      const stock = await startService(t, variant, 'stock', receiver)
      const orders = await startService(t, variant, 'orders', receiver, { DOWNSTREAM_URL: stock.url })
      // The plugin found the preload's SDK and used it.
      assert.equal(orders.owner, 'plugin')

      const plain = await (await fetch(`${orders.url}/orders/1`)).json()
      const w3c = await (
        await fetch(`${orders.url}/orders/2`, { headers: { traceparent: `00-${INBOUND_TRACE}-${INBOUND_SPAN}-01` } })
      ).json()
      const b3 = await (
        await fetch(`${orders.url}/orders/3`, { headers: { b3: `${'a'.repeat(32)}-${'b'.repeat(16)}-1` } })
      ).json()
      await orders.finish()
      await stock.finish()
      const spans = await receiver.waitFor((all) => all.length >= 9)

      const service = (span) => span.resource['service.name']
      for (const [result, inbound] of [
        [plain, undefined],
        [w3c, { trace: INBOUND_TRACE, span: INBOUND_SPAN }],
        [b3, { trace: 'a'.repeat(32), span: 'b'.repeat(16) }]
      ]) {
        const trace = spans.filter((s) => s.traceId === result.traceId)
        // Exactly these three: the orders SERVER span, the fetch's CLIENT span, the stock SERVER span.
        assert.deepEqual(
          trace.map((s) => `${service(s)} ${s.kind} ${s.name}`).sort(),
          ['orders 2 GET /orders/:id', 'orders 3 GET', 'stock 2 GET /stock/:id'],
          JSON.stringify(trace.map((s) => [service(s), s.kind, s.name]))
        )
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
      // The module hook in the form this Node line prefers: no deprecation (module.register() is
      // deprecated from Node 26 on) and no other warning of Node's.
      assert.doesNotMatch(orders.stderr() + stock.stderr(), /DeprecationWarning|ExperimentalWarning|DEP0\d+/)
    }
  )
}

test(
  "a thrown error under the preload: instrumentation-http's span, taken over, says the error's class, not '500'",
  { timeout: 60_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const orders = await startService(t, 'esm', 'orders', receiver)
    assert.equal((await fetch(`${orders.url}/boom`)).status, 500)
    await orders.finish()
    const [server] = await receiver.waitFor((all) => all.length >= 1)
    assert.equal(server.scope.name, '@opentelemetry/instrumentation-http')
    assert.equal(server.name, 'GET /boom')
    assert.equal(server.attributes['error.type'], 'TypeError')
    assert.equal(server.status.code, 2)
  }
)

test(
  'request.otel.fetch under the preload: one CLIENT span and one traceparent, and the downstream service stays ' +
    'in the trace',
  { timeout: 60_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const stock = await startService(t, 'esm', 'stock', receiver)
    const orders = await startService(t, 'esm', 'orders', receiver, { DOWNSTREAM_URL: stock.url })
    const result = await (await fetch(`${orders.url}/helper/1`)).json()
    await orders.finish()
    await stock.finish()
    const spans = await receiver.waitFor((all) => all.length >= 3)

    // instrumentation-undici made no second CLIENT span and appended no second traceparent.
    assert.equal(result.stock.traceparentFields, 1)
    const clients = spans.filter((s) => s.kind === CLIENT)
    assert.deepEqual(
      clients.map((s) => `${s.scope.name} ${s.name}`),
      ['fastify-otel-kit GET']
    )
    assert.equal(result.stock.traceparent, `00-${result.traceId}-${clients[0].spanId}-01`)
    const trace = spans.filter((s) => s.traceId === result.traceId)
    assert.deepEqual(trace.map((s) => `${s.resource['service.name']} ${s.kind} ${s.name}`).sort(), [
      'orders 2 GET /helper/:id',
      'orders 3 GET',
      'stock 2 GET /stock/:id'
    ])
    const stockServer = trace.find((s) => s.resource['service.name'] === 'stock')
    assert.equal(stockServer.parentSpanId, clients[0].spanId)
    assert.equal(spans.length, 3)
  }
)

test(
  "redaction under the preload: the instrumentations' spans (fetch, node:http) carry no credential either",
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const service = await startService(t, 'esm', 'psp', receiver, {
      PLUGIN_OPTIONS: JSON.stringify({ redactQueryParams: ['Session'] })
    })
    const result = await (await fetch(`${service.url}/pay`)).json()
    await service.finish()
    // /pay, its three calls (undici's, http's and the plugin's CLIENT span) and their three SERVER spans.
    const spans = await receiver.waitFor((all) => all.length >= 7)
    const trace = spans.filter((s) => s.traceId === result.traceId)
    assert.deepEqual(trace.map((s) => `${s.kind} ${s.scope.name}`).sort(), [
      '2 @opentelemetry/instrumentation-http',
      '2 @opentelemetry/instrumentation-http',
      '2 @opentelemetry/instrumentation-http',
      '2 @opentelemetry/instrumentation-http',
      '3 @opentelemetry/instrumentation-http',
      '3 @opentelemetry/instrumentation-undici',
      '3 fastify-otel-kit'
    ])
    const recorded = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events.map((e) => e.attributes)]))
    for (const secret of ['sk_live_123', 'tok_456', 'sess_789']) {
      assert.ok(!recorded.includes(secret), `${secret} recorded: ${recorded}`)
    }
    const redacted = 'api_key=REDACTED&Token=REDACTED&session=REDACTED&page=2'
    for (const client of trace.filter((s) => s.kind === CLIENT)) {
      assert.equal(client.attributes['url.full'], `${service.url}/stock/pay?${redacted}`, client.scope.name)
    }
    assert.equal(
      trace.find((s) => s.scope.name === '@opentelemetry/instrumentation-undici').attributes['url.query'],
      `?${redacted}`
    )
  }
)

test(
  'app.inject() in a handler under the preload: the inner request gets its own SERVER span, ' +
    'a child of the outer one, which keeps its name',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const service = await startService(t, 'esm', 'batch', receiver)
    const result = await (await fetch(`${service.url}/batch`)).json()
    await service.finish()
    const spans = await receiver.waitFor((all) => all.length >= 2)
    assert.equal(spans.length, 2)
    const outer = spans.find((s) => s.name === 'GET /batch')
    const inner = spans.find((s) => s.name === 'GET /stock/:id')
    assert.ok(outer !== undefined && inner !== undefined, JSON.stringify(spans.map((s) => s.name)))
    assert.equal(outer.scope.name, '@opentelemetry/instrumentation-http')
    assert.equal(outer.attributes['url.path'], '/batch')
    assert.equal(outer.attributes['http.route'], '/batch')
    assert.equal(inner.traceId, result.traceId)
    assert.equal(inner.parentSpanId, outer.spanId)
    assert.equal(inner.kind, SERVER)
    assert.equal(inner.attributes['url.path'], '/stock/7')
  }
)

test(
  'OTEL_NODE_ENABLED_INSTRUMENTATIONS: a package that is not installed is reported once, the others work',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const service = await startService(t, 'esm', 'pick', receiver, {
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg-not-installed,undici,pg-not-installed'
    })
    await fetch(`${service.url}/orders/1`)
    await service.finish()
    const missing = service.stderr().match(/\[FOK_WARN_INSTRUMENTATION_MISSING\][^\n]*/g) ?? []
    assert.equal(missing.length, 1, service.stderr())
    assert.match(
      missing[0],
      /instrumentation "pg-not-installed" is not installed: `npm install @opentelemetry\/instrumentation-pg-not-installed`/
    )
    // http and undici still work: the request's own fetch to itself is one trace of three spans.
    const spans = await receiver.waitFor((all) => all.length >= 3)
    assert.deepEqual(spans.map((s) => `${s.kind} ${s.name}`).sort(), ['2 GET /orders/:id', '2 GET /stock/:id', '3 GET'])
  }
)

test(
  'OTEL_NODE_DISABLED_INSTRUMENTATIONS removes one: no CLIENT span for fetch, and no traceparent sent',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const service = await startService(t, 'esm', 'no-undici', receiver, {
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici'
    })
    const body = await (await fetch(`${service.url}/orders/1`)).json()
    await service.finish()
    assert.equal(body.stock.traceparent, null)
    const spans = await receiver.waitFor((all) => all.length >= 2)
    assert.deepEqual(spans.map((s) => `${s.kind} ${s.name}`).sort(), ['2 GET /orders/:id', '2 GET /stock/:id'])
  }
)

test(
  'extractOnly with the preload: inbound context is read, and no instrumentation injects (the sidecar owns outbound)',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const service = await startService(t, 'esm', 'sidecar', receiver, {
      PLUGIN_OPTIONS: JSON.stringify({ extractOnly: true })
    })
    const body = await (
      await fetch(`${service.url}/orders/1`, { headers: { traceparent: `00-${INBOUND_TRACE}-${INBOUND_SPAN}-01` } })
    ).json()
    await service.finish()
    assert.equal(body.traceId, INBOUND_TRACE)
    assert.equal(body.stock.traceparent, null)
  }
)

test(
  'SDK options given to the plugin while the preload set the SDK up: the identity ones follow the environment\'s ' +
    'precedence, the others are named with what to set instead',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const service = await startService(t, 'esm', 'env-wins', receiver, {
      PLUGIN_OPTIONS: JSON.stringify({ serviceName: 'from-code', batch: 'aggressive' })
    })
    await service.finish()
    // serviceName still applies under the preload, below OTEL_SERVICE_NAME as everywhere.
    assert.match(
      service.stderr(),
      /\[FOK_WARN_CONFIG\] FastifyOtelKitWarning: fastify-otel-kit: OTEL_SERVICE_NAME overrides option serviceName: using "env-wins" from the environment instead of "from-code"/
    )
    assert.match(
      service.stderr(),
      /\[FOK_WARN_CONFIG\] FastifyOtelKitWarning: fastify-otel-kit: option batch is not applied: the SDK was set up by the preload entry \(fastify-otel-kit\/register\) before the application loaded\. Set OTEL_BSP_\* instead/
    )
    assert.doesNotMatch(service.stderr(), /serviceName is not applied|No service name/)
  }
)

test('late start: fastify loaded before the preload is warned about, with the fix', { timeout: 30_000 }, async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const file = fileURLToPath(new URL('../fixtures/preload/service.cjs', import.meta.url))
  const child = fork(file, [], {
    execArgv: ['--require', 'fastify', '--require', 'fastify-otel-kit/register'],
    env: { ...process.env, OTEL_SERVICE_NAME: 'late', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc']
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  t.after(() => child.kill())
  await once(child, 'message')
  child.send('finish')
  await once(child, 'exit')
  assert.match(
    stderr,
    /\[FOK_WARN_LATE_START\] FastifyOtelKitWarning: fastify-otel-kit: fastify, http, https were loaded before fastify-otel-kit\/register ran: put the preload first/
  )
})

test(
  'SIGTERM with the preload: a process without Fastify exports its spans and exits',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const child = fork(fileURLToPath(new URL('../fixtures/preload/script.mjs', import.meta.url)), [], {
      execArgv: ['--import', 'fastify-otel-kit/register'],
      env: {
        ...process.env,
        OTEL_SERVICE_NAME: 'job',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
        OTEL_BSP_SCHEDULE_DELAY: '60000'
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    t.after(() => child.kill())
    await once(child, 'message')
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    assert.equal(code, 0)
    assert.deepEqual(receiver.spans.map((s) => s.name).sort(), [
      'job.step 0',
      'job.step 1',
      'job.step 2',
      'job.step 3',
      'job.step 4'
    ])
  }
)

test(
  'SIGTERM with the preload and the plugin: the app is closed, its spans delivered, exit 0',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const file = fileURLToPath(new URL('../fixtures/preload/service.mjs', import.meta.url))
    const child = fork(file, [], {
      execArgv: ['--import', 'fastify-otel-kit/register'],
      env: {
        ...process.env,
        OTEL_SERVICE_NAME: 'term',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        PLUGIN_OPTIONS: '{"handleSignals":true}'
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    t.after(() => child.kill())
    const [{ port }] = await once(child, 'message')
    await fetch(`http://127.0.0.1:${port}/orders/1`)
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    assert.equal(code, 0)
    assert.deepEqual(receiver.spans.map((s) => `${s.kind} ${s.name}`).sort(), [
      '2 GET /orders/:id',
      '2 GET /stock/:id',
      '3 GET'
    ])
  }
)
