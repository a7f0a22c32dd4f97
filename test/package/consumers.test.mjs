// The package works for both kinds of consumer: ES modules (`import`) and CommonJS (`require`),
// each run in a fresh Node process that resolves the package by name through its exports map.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

function run (args, source) {
  const out = execFileSync(process.execPath, [...args, source], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OTEL_SDK_DISABLED: '' }
  })
  return JSON.parse(out.trim().split('\n').pop())
}

const scenario = `
  const exporter = new InMemorySpanExporter()
  const app = Fastify()
  // Lifecycle spans off: a cold first request may cross the slow threshold; this compares names.
  await app.register(otelPlugin, { serviceName: 'consumer', exporter, handleSignals: false, lifecycleSpans: 'off' })
  app.get('/', async () => withSpan('inner', () => 'ok'))
  const res = await app.inject({ url: '/' })
  await app.otel.forceFlush()
  const names = exporter.getFinishedSpans().map((s) => s.name)
  await app.close()
`

test('ESM: default and named imports, and the subpath entries', () => {
  const result = run(
    ['--input-type=module', '-e'],
    `
    import Fastify from 'fastify'
    import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
    import otelPlugin, { otelPlugin as named, OtelKitConfigError } from 'fastify-otel-kit'
    import { withSpan, captureContext } from 'fastify-otel-kit/context'
    import { runInWorker, createTracedPool } from 'fastify-otel-kit/workers'
    import { tracedTask } from 'fastify-otel-kit/workers/task'
    ${scenario}
    console.log(JSON.stringify({
      same: otelPlugin === named,
      body: res.body,
      names,
      error: typeof OtelKitConfigError,
      capture: typeof captureContext,
      workers: [typeof runInWorker, typeof createTracedPool, typeof tracedTask]
    }))
  `
  )
  assert.deepEqual(result, {
    same: true,
    body: 'ok',
    names: ['inner', 'GET /'],
    error: 'function',
    capture: 'function',
    workers: ['function', 'function', 'function']
  })
})

test('CommonJS: require by name, destructured or as a whole module passed to register', () => {
  const result = run(
    ['-e'],
    `
    const Fastify = require('fastify')
    const { InMemorySpanExporter } = require('@opentelemetry/sdk-trace')
    const kit = require('fastify-otel-kit')
    const { otelPlugin } = kit
    const { withSpan } = require('fastify-otel-kit/context')
    const { runInWorker } = require('fastify-otel-kit/workers')
    const { tracedTask } = require('fastify-otel-kit/workers/task')
    ;(async () => {
      ${scenario}
      // Fastify unwraps a module object's default export, so register(require('fastify-otel-kit')) works.
      const whole = Fastify()
      await whole.register(kit, {
        serviceName: 'whole',
        exporter: new InMemorySpanExporter(),
        handleSignals: false,
        lifecycleSpans: 'off'
      })
      const decorated = typeof whole.otel.forceFlush
      await whole.close()
      const workers = [typeof runInWorker, typeof tracedTask]
      console.log(JSON.stringify({ same: kit.default === otelPlugin, body: res.body, names, decorated, workers }))
    })()
  `
  )
  assert.deepEqual(result, {
    same: true,
    body: 'ok',
    names: ['inner', 'GET /'],
    decorated: 'function',
    workers: ['function', 'function']
  })
})

test('import and require in one process load one implementation (no dual-package state)', () => {
  const result = run(
    ['--input-type=module', '-e'],
    `
    import { createRequire } from 'node:module'
    import * as esm from 'fastify-otel-kit'
    const require = createRequire(process.cwd() + '/package.json')
    const cjs = require('fastify-otel-kit')
    console.log(JSON.stringify({ same: esm.otelPlugin === cjs.otelPlugin && esm.default === cjs.default }))
  `
  )
  assert.deepEqual(result, { same: true })
})
