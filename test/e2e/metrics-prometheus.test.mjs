// A real Prometheus server (Debian's package, installed by test/servers.mjs when missing) scrapes the
// package's Prometheus endpoint
// (OTEL_METRICS_EXPORTER=prometheus): PromQL over the test's requests returns each route's request
// count, and the SDK's health is there to alert on, under the names docs/guides/metrics.md uses.
import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { sampledParent, unsampledParent, withEnv } from '../helpers.mjs'
import { freePort, startPrometheus } from '../servers.mjs'

const guide = readFileSync(fileURLToPath(new URL('../../docs/guides/metrics.md', import.meta.url)), 'utf8')
/** The guide's code blocks of a language. */
const blocks = (language) =>
  [...guide.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1].trim())

const value = (result) => (result.length === 0 ? undefined : Number(result[0].value[1]))

test(
  "Prometheus scrapes the endpoint: the route's request count, sampled or not, and the SDK's health",
  {
    timeout: 120_000
  },
  async (t) => {
    const port = await freePort()
    withEnv(t, {
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port)
    })
    const app = Fastify()
    t.after(() => app.close())
    await app.register(otelPlugin, {
      serviceName: 'scraped',
      exporter: new InMemorySpanExporter(),
      logs: { exporter: new InMemoryLogRecordExporter() },
      handleSignals: false
    })
    app.get('/orders/:id', async () => ({ ok: true }))
    app.post('/orders', async (_request, reply) => reply.code(201).send({ id: 1 }))
    assert.deepEqual(app.otel.config.metrics.exporters.value, ['prometheus'])

    for (let i = 0; i < 7; i++) {
      await app.inject({ url: `/orders/${i}`, headers: { traceparent: i % 2 === 0 ? sampledParent : unsampledParent } })
    }
    for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/orders' })
    // One export of each queue, for the export duration histograms.
    await app.otel.forceFlush()

    // The endpoint itself, as Prometheus reads it.
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    assert.match(text, /^# TYPE http_server_request_duration_seconds histogram$/m)
    assert.match(
      text,
      /^http_server_request_duration_seconds_bucket\{[^}]*http_route="\/orders\/:id"[^}]*le="0\.005"\}/m
    )

    const prometheus = await startPrometheus(t, [`127.0.0.1:${port}`])
    await prometheus.untilScraped()
    assert.equal(
      value(await prometheus.query('sum(http_server_request_duration_seconds_count{http_route="/orders/:id"})')),
      7
    )
    assert.equal(
      value(
        await prometheus.query(
          'sum(http_server_request_duration_seconds_count{http_route="/orders", http_response_status_code="201"})'
        )
      ),
      3
    )
    // The SDK's health, as the guide alerts on it.
    assert.equal(value(await prometheus.query('sum(otel_sdk_processor_span_queue_capacity)')), 2048)
    assert.equal(
      value(await prometheus.query('sum(otel_sdk_processor_span_processed_total{error_type="queue_full"})')),
      0
    )
    assert.equal(
      value(
        await prometheus.query(
          'sum(otel_sdk_span_started_total{otel_span_parent_origin="remote", ' +
          'otel_span_sampling_result="RECORD_AND_SAMPLE"})'
        )
      ),
      4
    )
    assert.equal(value(await prometheus.query('sum(otel_sdk_span_started_total{otel_span_sampling_result="DROP"})')), 3)

    // More requests, a later scrape: the counter moves, and the guide's latency query answers.
    for (let i = 0; i < 5; i++) await app.inject({ url: '/orders/9' })
    await prometheus.untilScraped()
    assert.equal(
      value(await prometheus.query('sum(http_server_request_duration_seconds_count{http_route="/orders/:id"})')),
      12
    )
    const p99 = await prometheus.query(
      'histogram_quantile(0.99, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket[1m])))'
    )
    assert.ok(
      p99.some((series) => series.metric.http_route === '/orders/:id'),
      JSON.stringify(p99)
    )

    // Every query of the guide runs, and every metric it names is one the endpoint serves.
    const names = new Set(await prometheus.labelValues('__name__'))
    const queries = blocks('promql')
    assert.ok(queries.length >= 10, `${queries.length} queries in the guide`)
    for (const query of queries) {
      await prometheus.query(query)
      for (const [name] of query.matchAll(/\b(?:otel_sdk|http_server|http_client|nodejs)_[a-z0-9_]+/g)) {
        assert.ok(names.has(name), `the guide's ${name} is not served: ${query}`)
      }
    }
    // And its alerting rules are valid Prometheus rules.
    const dir = mkdtempSync(join(tmpdir(), 'fok-rules-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const [rules] = blocks('yaml').filter((block) => block.startsWith('groups:'))
    writeFileSync(join(dir, 'rules.yml'), rules)
    execFileSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { stdio: 'pipe' })
  }
)
