// attach/detach on the API's public context.attach (API 1.10), through OpenTelemetry's own
// AsyncLocalStorage context manager: AsyncLocalStorage.withScope() where Node has it (26, recent
// 24), enterWith() elsewhere (22). Run on each Node line; the cases are the same everywhere.
import { context, diag, DiagLogLevel, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { attach, detach, ensureContextManager } from 'fastify-otel-kit/context'
// Internal: how the package finds the registered manager (the API's global slot).
import { globalContextManager } from '../../dist/context/context-manager.js'
import assert from 'node:assert/strict'
import { AsyncLocalStorage } from 'node:async_hooks'
import { createRequire } from 'node:module'
import { beforeEach, describe, test } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'

// The package is CommonJS: the manager it registers is the CommonJS build's class.
const { AsyncLocalStorageContextManager } = createRequire(import.meta.url)('@opentelemetry/context-async-hooks')
const withScope = typeof new AsyncLocalStorage().withScope === 'function'

/** A context whose active span has span id `n` repeated (n: one hex digit). */
const ctx = (n) => trace.setSpanContext(ROOT_CONTEXT, { traceId: n.repeat(32), spanId: n.repeat(16), traceFlags: 1 })
const active = () => trace.getSpanContext(context.active())?.spanId[0]

function diagWarnings (t) {
  const warnings = []
  diag.setLogger(
    { error () {}, warn: (m) => warnings.push(m), info () {}, debug () {}, verbose () {} },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true }
  )
  t.after(() => diag.disable())
  return warnings
}

/** A fresh global manager for each test: what the plugin registers when nothing else did. */
beforeEach(() => {
  context.disable()
  assert.equal(ensureContextManager(), true)
})

describe(`attach/detach on ${process.version} (${withScope ? 'AsyncLocalStorage.withScope' : 'enterWith'})`, () => {
  test("the registered manager is OpenTelemetry's own, found through the API's global slot", () => {
    assert.ok(globalContextManager() instanceof AsyncLocalStorageContextManager)
    // The slot is read directly (no registration attempt, no duplicate-registration error): if the
    // API ever keeps its globals elsewhere, this is the test that says so.
    const custom = new AsyncLocalStorageContextManager()
    context.disable()
    assert.equal(globalContextManager(), undefined)
    context.setGlobalContextManager(custom)
    assert.equal(globalContextManager(), custom)
    assert.equal(ensureContextManager(), false)
  })

  test('nested attach and detach in order restore exactly what was active', () => {
    assert.equal(active(), undefined)
    const a = attach(ctx('a'))
    const b = attach(ctx('b'))
    assert.equal(active(), 'b')
    detach(b)
    assert.equal(active(), 'a')
    detach(a)
    assert.equal(active(), undefined)
  })

  test('out of order, three deep: nothing detached early comes back, each skipped token goes with the ' +
    'one above it', (t) => {
    const warnings = diagWarnings(t)
    const a = attach(ctx('a'))
    const b = attach(ctx('b'))
    const c = attach(ctx('c'))
    detach(b)
    detach(a)
    assert.equal(active(), 'c')
    detach(c)
    assert.equal(active(), undefined)
    assert.equal(warnings.filter((w) => /detach out of order/.test(w)).length, 2)
  })

  test('a skipped token under a newer attachment: the newer one goes first, then the skipped one with the ' +
    'one above it', (t) => {
    const warnings = diagWarnings(t)
    const a = attach(ctx('a'))
    const b = attach(ctx('b'))
    detach(a)
    const c = attach(ctx('c'))
    detach(c)
    assert.equal(active(), 'b')
    detach(b)
    assert.equal(active(), undefined)
    detach(a)
    assert.equal(active(), undefined)
    assert.deepEqual(
      warnings.map((w) => w.match(/detach (out of order|called twice)/)?.[1]),
      ['out of order', 'called twice']
    )
  })

  test('across awaits: the attached context is what the continuation sees, and detach there restores it', async () => {
    await context.with(ctx('e'), async () => {
      const a = attach(ctx('a'))
      await nextTurn()
      assert.equal(active(), 'a')
      const b = attach(ctx('b'))
      await nextTurn()
      assert.equal(active(), 'b')
      detach(b)
      assert.equal(active(), 'a')
      detach(a)
      assert.equal(active(), 'e')
    })
    assert.equal(active(), undefined)
  })

  test('detach from another async flow is out of order there: the flow that attached keeps its context until ' +
    'it detaches', async (t) => {
    const warnings = diagWarnings(t)
    let token
    const attached = context.with(ROOT_CONTEXT, async () => {
      token = attach(ctx('a'))
      await nextTurn()
      await nextTurn()
      return active()
    })
    await context.with(ctx('f'), async () => {
      await nextTurn()
      detach(token)
      assert.equal(active(), 'f')
    })
    assert.equal(await attached, 'a')
    assert.match(warnings[0], /detach out of order/)
  })

  test("why detach defers: the manager's own tokens disposed out of order bring a detached context back", () => {
    const a = context.attach(ctx('a'))
    const b = context.attach(ctx('b'))
    a.dispose()
    b.dispose()
    // a was disposed first, yet it is active again: b restored what was active when b was made.
    assert.equal(active(), 'a')
    context.attach(ROOT_CONTEXT)
    // The same order through detach leaves nothing behind.
    const ta = attach(ctx('a'))
    const tb = attach(ctx('b'))
    detach(ta)
    detach(tb)
    assert.equal(active(), undefined)
  })

  test('an attach that cannot work warns, has no effect, and its detach is quiet', async (t) => {
    const warnings = diagWarnings(t)
    context.disable()
    const token = attach(ctx('a'))
    assert.equal(active(), undefined)
    detach(token)
    // A manager from before API 1.10 (no attach): the API warns once, this package every time.
    context.setGlobalContextManager({
      active: () => ROOT_CONTEXT,
      with: (c, fn, thisArg, ...args) => fn.call(thisArg, ...args),
      bind: (c, target) => target,
      enable () {
        return this
      },
      disable () {
        return this
      }
    })
    detach(attach(ctx('b')))
    assert.equal(active(), undefined)
    const ours = warnings.filter((w) => /fastify-otel-kit: attach has no effect/.test(w))
    assert.equal(ours.length, 2)
    assert.equal(warnings.filter((w) => /detach/.test(w)).length, 0)
  })

  test('detach of something that is not a token is reported and changes nothing', (t) => {
    const warnings = diagWarnings(t)
    const a = attach(ctx('a'))
    detach('not a token')
    detach(context.attach(ctx('z')))
    assert.equal(active(), 'z')
    assert.equal(warnings.filter((w) => /needs the token that attach returned/.test(w)).length, 2)
    context.attach(trace.setSpanContext(context.active(), trace.getSpanContext(ctx('a'))))
    detach(a)
  })
})
