// The option instrumentations, for code that registers the plugin without the preload entry: the
// instances are enabled on the plugin's SDK, and what they patch that was loaded already is
// warned about with the fix. Also: OTEL_NODE_ENABLED_INSTRUMENTATIONS without the preload.
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { logCapture } from '../helpers.mjs'

async function register (t, options, env = {}) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  Object.assign(process.env, env)
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'warn', stream: logs.stream } })
  t.after(() => app.close())
  await app.register(otelPlugin, {
    serviceName: 'instr',
    exporter: new InMemorySpanExporter(),
    handleSignals: false,
    ...options
  })
  return { app, logs }
}

test('instrumentations enabled at registration: http was loaded already, so the warning names it and ' +
  'gives the fix', async (t) => {
  const instrumentation = new HttpInstrumentation()
  t.after(() => instrumentation.disable())
  const { logs } = await register(t, { instrumentations: [instrumentation] })
  assert.equal(instrumentation.isEnabled(), true)
  const warning = logs.lines.find((l) => l.code === 'FOK_WARN_LATE_START')
  assert.match(
    warning.msg,
    /^fastify-otel-kit: https, http were loaded before the instrumentations were enabled, so calls through them may not be traced\. Start the process with `node --import fastify-otel-kit\/register`/
  )
})

test('closing the app disables the instrumentations it enabled', async (t) => {
  const instrumentation = new HttpInstrumentation()
  t.after(() => instrumentation.disable())
  const { app } = await register(t, { instrumentations: [instrumentation] })
  await app.close()
  assert.equal(instrumentation.isEnabled(), false)
})

test('OTEL_NODE_ENABLED_INSTRUMENTATIONS without the preload: a warning says only the preload reads it', async (t) => {
  const { logs } = await register(t, {}, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg' })
  const warning = logs.lines.find((l) => l.code === 'FOK_WARN_LATE_START')
  assert.match(
    warning.msg,
    /OTEL_NODE_ENABLED_INSTRUMENTATIONS is set, but only the preload entry enables instrumentations from the environment/
  )
})

test('instrumentations must be Instrumentation instances', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  await assert.rejects(
    async () => {
      await app.register(otelPlugin, { serviceName: 's', handleSignals: false, instrumentations: [{ enable () {} }] })
    },
    {
      code: 'FOK_ERR_INVALID_OPTION',
      message:
        'fastify-otel-kit: option "instrumentations[0]" ' +
          'must be an Instrumentation instance (new HttpInstrumentation(), say); received an object.'
    }
  )
})
