// The worker side never loads fastify or plugin/ (README, "Architecture"): checked in a real
// Piscina worker thread, dispatched from a process where the plugin and fastify are loaded.
import { runInWorker } from 'fastify-otel-kit/workers'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { sampledParent, tracedApp } from '../helpers.mjs'

const inventoryWorker = fileURLToPath(new URL('../fixtures/module-inventory-worker.mjs', import.meta.url))
const isFastify = (path) => /[/\\]node_modules[/\\](fastify|fastify-plugin|@fastify[/\\][^/\\]+)[/\\]/.test(path)
const isPlugin = (path) => /[/\\]dist[/\\]plugin[/\\]/.test(path)

test('a worker thread running a tracedTask module loads no fastify module and nothing of plugin/', async (t) => {
  const pool = new Piscina({ filename: inventoryWorker, maxThreads: 1 })
  t.after(() => pool.destroy())
  const { app } = await tracedApp(t)
  app.get('/inventory', async () => runInWorker(pool, {}))
  const res = await app.inject({ url: '/inventory', headers: { traceparent: sampledParent } })
  const loaded = res.json()
  // The inventory sees the package's worker side, so an empty list cannot pass for a clean one.
  assert.ok(
    loaded.some((path) => /[/\\]dist[/\\]workers[/\\]worker[/\\]task\.js$/.test(path)),
    loaded.join('\n')
  )
  assert.deepEqual(
    loaded.filter((path) => isFastify(path) || isPlugin(path)),
    []
  )
})

test('the inventory does see fastify when a task loads it', async (t) => {
  const pool = new Piscina({ filename: inventoryWorker, maxThreads: 1 })
  t.after(() => pool.destroy())
  const loaded = await runInWorker(pool, { loadFastify: true })
  assert.ok(loaded.some(isFastify), 'fastify should appear in the inventory after require("fastify")')
})
