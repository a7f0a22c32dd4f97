// Under the preload (`--import` / `--require fastify-otel-kit/register`), the MeterProvider is
// registered before the instrumentations are built, so their metrics reach it; and each request
// is counted once, by the plugin (with its route), not again by instrumentation-http.
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

async function startService (t, variant, receiver) {
  const file = fileURLToPath(
    new URL(`../fixtures/preload/service.${variant === 'esm' ? 'mjs' : 'cjs'}`, import.meta.url)
  )
  const child = fork(file, [], {
    execArgv: [variant === 'esm' ? '--import' : '--require', 'fastify-otel-kit/register'],
    env: { ...process.env, OTEL_SERVICE_NAME: 'preloaded', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc']
  })
  t.after(() => child.kill())
  const [ready] = await once(child, 'message')
  return {
    url: `http://127.0.0.1:${ready.port}`,
    finish: async () => {
      child.send('finish')
      await once(child, 'exit')
    }
  }
}

/** Per scope, the points of the last export of metric `name` (cumulative: it holds them all). */
const byScope = (metrics, name) => {
  const out = {}
  for (const m of metrics.filter((x) => x.name === name)) out[m.scope.name] = m.dataPoints
  return out
}
const total = (points, predicate = () => true) =>
  (points ?? []).filter((p) => predicate(p.attributes)).reduce((n, p) => n + p.count, 0)

for (const variant of ['esm', 'cjs']) {
  test(
    `${variant}: each request counted once, with its route; the instrumentations' metrics reach ` +
      'the MeterProvider; request.otel.fetch counted once',
    { timeout: 60_000 },
    async (t) => {
      const receiver = await OtlpReceiver.start()
      t.after(() => receiver.stop())
      const service = await startService(t, variant, receiver)
      for (let i = 0; i < 3; i++) await (await fetch(`${service.url}/stock/${i}`)).text()
      // /orders/:id calls /stock/:id with a plain fetch (instrumentation-undici's CLIENT span).
      await (await fetch(`${service.url}/orders/9`)).text()
      // The ES module service also has /pay: /stock/pay three times, a plain fetch, node:http
      // (instrumentation-http) and request.otel.fetch (the plugin's own client metric).
      if (variant === 'esm') await (await fetch(`${service.url}/pay`)).text()
      await service.finish()
      // The last collection is exported at close.
      const server = byScope(receiver.metrics, 'http.server.request.duration')
      assert.deepEqual(Object.keys(server), ['fastify-otel-kit'], 'instrumentation-http records no server duration')
      const points = server['fastify-otel-kit']
      assert.equal(
        total(points, (a) => a['http.route'] === '/stock/:id'),
        variant === 'esm' ? 7 : 4
      )
      assert.equal(
        total(points, (a) => a['http.route'] === '/orders/:id'),
        1
      )
      // The instrumentations were built after the MeterProvider was registered: their metrics are there.
      const client = byScope(receiver.metrics, 'http.client.request.duration')
      assert.ok(total(client['@opentelemetry/instrumentation-undici']) >= 1, JSON.stringify(Object.keys(client)))
      if (variant === 'esm') {
        assert.equal(
          total(points, (a) => a['http.route'] === '/pay'),
          1
        )
        assert.ok(total(client['@opentelemetry/instrumentation-http']) >= 1, JSON.stringify(Object.keys(client)))
        assert.equal(total(client['fastify-otel-kit']), 1, 'request.otel.fetch')
        // request.otel.fetch runs with tracing suppressed: undici counts only the two plain fetches.
        assert.equal(total(client['@opentelemetry/instrumentation-undici']), 2)
      }
    }
  )
}
