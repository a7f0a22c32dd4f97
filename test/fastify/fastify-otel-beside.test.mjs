// @fastify/otel registered beside the plugin (a migration half done) instruments every request a
// second time: said once the application is loaded, whichever was registered first.
import FastifyOtelInstrumentation from '@fastify/otel'
import Fastify from 'fastify'
import otelPlugin from 'fastify-otel-kit'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { logCapture } from '../helpers.mjs'

const NOTICE = '@fastify/otel is registered on this Fastify instance too'

async function warningsOf (t, register) {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'warn', stream: logs.stream } })
  t.after(() => app.close())
  await register(app)
  await app.ready()
  return logs.lines.filter((line) => line.level === 40).map((line) => line.msg)
}

const plugin = (app) => app.register(otelPlugin, { serviceName: 'beside', handleSignals: false, metrics: false })
const fastifyOtel = (app) => app.register(new FastifyOtelInstrumentation().plugin())

test('@fastify/otel before or after the plugin: one warning that says to keep one', async (t) => {
  for (const order of [[fastifyOtel, plugin], [plugin, fastifyOtel]]) {
    const seen = await warningsOf(t, async (app) => {
      for (const register of order) await register(app)
    })
    assert.equal(seen.filter((m) => m.includes(NOTICE)).length, 1, JSON.stringify(seen))
    await new Promise((resolve) => setImmediate(resolve))
  }
})

test('the plugin alone: no such warning', async (t) => {
  const seen = await warningsOf(t, plugin)
  assert.deepEqual(seen.filter((m) => m.includes(NOTICE)), [])
})
