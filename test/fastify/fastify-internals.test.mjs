// The plugin reads two Fastify internals: the hook store (symbol 'fastify.hooks', to bind hooks
// registered before it and to run its own onRequest hook first) and the route context (symbol
// 'fastify.context', per-route facts without request.routeOptions' per-access object). A Fastify
// that hides them gets the documented fallbacks; each case runs in its own process because the
// simulation patches Object.getOwnPropertySymbols before fastify loads.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const fixture = fileURLToPath(new URL('../fixtures/hidden-internals-app.mjs', import.meta.url))
const run = (mode) =>
  JSON.parse(execFileSync(process.execPath, [fixture, mode], { encoding: 'utf8' }).trim().split('\n').pop())

const EXPECTED_SPANS = [
  { name: 'GET /orders/:id', route: '/orders/:id', path: '/orders/7' },
  { name: 'GET', route: null, path: '/missing' }
]
const WARNING =
  "fastify-otel-kit: this Fastify version's hook store was not found: onRequest hooks registered before the plugin " +
    '(and others where Fastify resumes from I/O) run without the request context. Register the plugin before ' +
    'your own hooks.'

test('this Fastify shows both internals: the plugin takes its direct path, with no warning', () => {
  const { internals, spans, seen, warnings } = run('plain')
  // If this fails, Fastify renamed or moved them: the fallbacks below are then what users get.
  assert.deepEqual(internals, { hooks: true, context: true })
  assert.deepEqual(warnings, [])
  assert.deepEqual(spans, EXPECTED_SPANS)
  assert.equal(seen['before plugin /orders/7?x=1'], seen.requestSpan)
})

test('a Fastify that hides them: a warning, hooks from before the plugin unbound; route names, ' +
  'config.otel and ignore unchanged', () => {
  const { internals, statuses, spans, seen, warnings, codes } = run('hide')
  assert.deepEqual(internals, { hooks: false, context: false })
  assert.deepEqual(warnings, [WARNING])
  assert.deepEqual(codes, ['FOK_WARN_FASTIFY_INTERNALS'])
  assert.deepEqual(statuses, [200, 200, 200, 404])
  // Route templates, the no-route name, `config: { otel: false }` and `ignore` come from
  // request.routeOptions: the same spans as on the direct path, none for /quiet and /health.
  assert.deepEqual(spans, EXPECTED_SPANS)
  assert.equal(seen['after plugin /quiet'], null)
  assert.equal(seen['after plugin /health'], null)
  // Hooks added after the plugin and the handler run in the request context...
  assert.equal(typeof seen.requestSpan, 'string')
  assert.equal(seen.handler, seen.requestSpan)
  assert.equal(seen['after plugin /orders/7?x=1'], seen.requestSpan)
  assert.equal(typeof seen['after plugin /missing'], 'string')
  // ...an onRequest hook added before it runs before the request span exists, as the warning says.
  assert.equal(seen['before plugin /orders/7?x=1'], null)
  assert.equal(seen['before plugin /missing'], null)
})
