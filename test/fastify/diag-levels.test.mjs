// OTEL_LOG_LEVEL chooses which of OpenTelemetry's own diagnostics reach the service's log: warn and
// above by default, fewer or more when the variable says so.
import { diag } from '@opentelemetry/api'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { logCapture, withEnv } from '../helpers.mjs'

/** Which of diag's error, warn, info and debug lines a Fastify logger that prints everything receives. */
async function diagnosticsSeen (t, level) {
  if (level !== undefined) withEnv(t, { OTEL_LOG_LEVEL: level })
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'trace', stream: logs.stream } })
  const exporter = new InMemorySpanExporter()
  await app.register(otelPlugin, { serviceName: 'diag', handleSignals: false, metrics: false, exporter })
  for (const method of ['error', 'warn', 'info', 'debug']) diag[method](`probe-${method}`)
  await app.close()
  return ['error', 'warn', 'info', 'debug'].filter((method) =>
    logs.messages().some((m) => m === `opentelemetry: probe-${method}`)
  )
}

test('OTEL_LOG_LEVEL unset: error and warn; error: error only; debug: all four', async (t) => {
  await t.test('unset', async (t) => assert.deepEqual(await diagnosticsSeen(t, undefined), ['error', 'warn']))
  await t.test('error', async (t) => assert.deepEqual(await diagnosticsSeen(t, 'error'), ['error']))
  await t.test('debug', async (t) => {
    assert.deepEqual(await diagnosticsSeen(t, 'debug'), ['error', 'warn', 'info', 'debug'])
  })
})
