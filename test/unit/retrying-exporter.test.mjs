// The retry policy (sdk/export/retrying-exporter.ts, sdk/config/retry-policy.ts) on a fake clock
// with the random numbers the test chooses: which failure kinds are retried, after exactly which
// delay, how many times, never past the export's deadline, and what shutdown does to a retry that
// is waiting. The inner exporter is an object the test answers.
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { after, before, describe, mock, test } from 'node:test'
import { DEFAULT_RETRY_POLICY } from '../../dist/sdk/config/retry-policy.js'
import { EXPORT_CONTEXT } from '../../dist/sdk/export/export-context.js'
import { classifyFailure } from '../../dist/sdk/export/failure.js'
import { RetryingExporter } from '../../dist/sdk/export/retrying-exporter.js'
import { controlledExporter, failed, requestContext, seededRandom, settle, SUCCESS } from './unit-helpers.mjs'

/** No jitter, round numbers: each delay can be read off the policy. */
const POLICY = Object.freeze({
  maxAttempts: 5,
  initialBackoffMillis: 1000,
  maxBackoffMillis: 5000,
  multiplier: 2,
  jitter: 0,
  unreachableRetryMillis: 1000
})
const BUDGET = Object.freeze({ exportTimeoutMillis: 1_000_000, attemptTimeoutMillis: 1000 })

const transient = (message = 'unavailable', extra = {}) =>
  failed(classifyFailure(new Error(message), { kind: 'transient', ...extra }))

/**
 * A retrying exporter over an answered inner one, on a fake clock that performance.now() reads
 * too (the deadline is measured with it). `answer` answers the inner call under way.
 */
function setup (t, { policy = {}, budget = {}, random = () => 0.5 } = {}) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
  t.mock.method(performance, 'now', () => Date.now())
  const inner = controlledExporter({ key: (x) => x })
  const exporter = new RetryingExporter(inner, { ...POLICY, ...policy }, { ...BUDGET, ...budget }, random)
  const results = []
  const exportItems = (items = ['a']) => exporter.export(items, (result) => results.push(result))
  const answer = (result) => inner.open().done(result)
  /** Calls the fake clock saw: when each inner attempt started. */
  const times = []
  const record = inner.export
  inner.export = (items, done) => {
    times.push(Date.now())
    record(items, done)
  }
  /** Advances the clock by `ms`, asserting that no attempt starts before the end of it. */
  const waitWithoutAttempt = (ms) => {
    const calls = inner.calls.length
    if (ms > 0) t.mock.timers.tick(ms)
    assert.equal(inner.calls.length, calls, `no attempt within ${ms} ms`)
  }
  return {
    inner,
    exporter,
    results,
    exportItems,
    answer,
    times,
    tick: (ms) => t.mock.timers.tick(ms),
    runAll: () => t.mock.timers.runAll(),
    waitWithoutAttempt
  }
}

/** Fails every attempt transiently and returns the delays between attempts. */
function delaysOf ({ inner, exportItems, answer, times, runAll }) {
  exportItems()
  while (inner.calls.some((c) => !c.settled)) {
    answer(transient())
    runAll()
  }
  return times.slice(1).map((time, i) => time - times[i])
}

describe('backoff', () => {
  test('delay n = initial x multiplier^(n-1), capped at the maximum; each one exactly', (t) => {
    const s = setup(t, { policy: { maxAttempts: 6, initialBackoffMillis: 500, multiplier: 2, maxBackoffMillis: 3000 } })
    s.exportItems()
    for (const delay of [500, 1000, 2000, 3000, 3000]) {
      s.answer(transient())
      s.waitWithoutAttempt(delay - 1)
      s.tick(1)
      assert.equal(s.times.at(-1), s.times.at(-2) + delay)
    }
    const last = transient('the last failure')
    s.answer(last)
    assert.deepEqual(s.results, [last], 'after maxAttempts, done gets the last failure, once')
    assert.equal(s.inner.calls.length, 6)
    assert.equal(s.exporter.retryCount, 5)
  })

  test('jitter moves each delay by up to the fraction either way, as the random numbers say', (t) => {
    // random r gives base x (1 + jitter x (2r - 1)): 0.25 -> x0.9, 0.75 -> x1.1, 0 -> x0.8.
    const numbers = [0.25, 0.75, 0.5, 0]
    const s = setup(t, {
      policy: { maxAttempts: 5, initialBackoffMillis: 1000, multiplier: 1.5, maxBackoffMillis: 5000, jitter: 0.2 },
      random: () => numbers.shift()
    })
    assert.deepEqual(delaysOf(s), [900, 1650, 2250, 2700])
  })

  test('the default policy: 5 attempts, 1 s x1.5 up to 5 s, +-20 %', (t) => {
    assert.deepEqual(
      { ...DEFAULT_RETRY_POLICY },
      {
        maxAttempts: 5,
        initialBackoffMillis: 1000,
        maxBackoffMillis: 5000,
        multiplier: 1.5,
        jitter: 0.2,
        unreachableRetryMillis: 1000
      }
    )
    const s = setup(t, { policy: DEFAULT_RETRY_POLICY, random: () => 0.5 })
    assert.deepEqual(delaysOf(s), [1000, 1500, 2250, 3375])
    assert.equal(s.exporter.retryCount, 4)
  })

  test('for any seed, every delay stays within the jitter of its base, and a seed gives the same delays again', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (seed, initial, multiplier, jitter) => {
          const policy = { ...POLICY, maxAttempts: 6, initialBackoffMillis: initial, multiplier, jitter }
          // The suite-wide mock, reset after each run (a property runs many times in one test).
          const run = () => {
            try {
              return delaysOf(setup({ mock }, { policy, random: seededRandom(seed) }))
            } finally {
              mock.timers.reset()
              mock.restoreAll()
            }
          }
          const delays = run()
          assert.equal(delays.length, 5)
          delays.forEach((delay, i) => {
            const base = Math.min(initial * multiplier ** i, policy.maxBackoffMillis)
            // Times are sums of fractional delays: allow for the rounding of the subtraction.
            const slack = 1e-6
            const within = delay >= base * (1 - jitter) - slack && delay <= base * (1 + jitter) + slack
            assert.ok(within, `${delay} vs ${base}`)
          })
          assert.deepEqual(run(), delays)
        }
      ),
      { numRuns: 100 }
    )
  })
})

describe('which failures are retried', () => {
  test('transient failures are retried up to maxAttempts; a success then ends the export', (t) => {
    const s = setup(t)
    s.exportItems(['x', 'y'])
    s.answer(transient())
    s.tick(1000)
    s.answer(transient())
    s.tick(2000)
    assert.deepEqual(s.inner.batches(), [['x', 'y'], ['x', 'y'], ['x', 'y']], 'each attempt sends the same items')
    s.answer(SUCCESS)
    assert.deepEqual(s.results, [SUCCESS])
    assert.equal(s.exporter.retryCount, 2)
    s.tick(100_000)
    assert.equal(s.inner.calls.length, 3)
  })

  test('throttled: not retried without the collector saying when', (t) => {
    const s = setup(t)
    s.exportItems()
    const refusal = failed(classifyFailure(new Error('quota'), { kind: 'throttled' }))
    s.answer(refusal)
    assert.deepEqual(s.results, [refusal])
    assert.equal(s.exporter.retryCount, 0)
  })

  test('throttled with retryAfterMillis: retried after exactly that delay, jitter and backoff aside', (t) => {
    const s = setup(t, { policy: { jitter: 0.2 }, random: () => 0 })
    s.exportItems()
    s.answer(failed(classifyFailure(new Error('slow down'), { kind: 'throttled', retryAfterMillis: 7000 })))
    s.waitWithoutAttempt(6999)
    s.tick(1)
    assert.equal(s.inner.calls.length, 2)
    // A server hint overrides the backoff for transient failures too.
    s.answer(transient('busy', { retryAfterMillis: 250 }))
    s.waitWithoutAttempt(249)
    s.tick(1)
    assert.equal(s.inner.calls.length, 3)
    s.answer(SUCCESS)
    assert.deepEqual(s.results, [SUCCESS])
  })

  for (const [name, failure] of [
    ['permanent', { kind: 'permanent' }],
    ['too-large (the queue splits it instead)', { kind: 'too-large' }],
    ['too-large, even with a server hint', { kind: 'too-large', retryAfterMillis: 10 }],
    ['permanent, even with a server hint', { kind: 'permanent', retryAfterMillis: 10 }]
  ]) {
    test(`${name}: not retried`, (t) => {
      const s = setup(t)
      s.exportItems()
      const result = failed(classifyFailure(new Error(name), failure))
      s.answer(result)
      assert.deepEqual(s.results, [result])
      s.tick(100_000)
      assert.equal(s.inner.calls.length, 1)
      assert.equal(s.exporter.retryCount, 0)
    })
  }

  test('an error no exporter classified is permanent: not retried', (t) => {
    const s = setup(t)
    s.exportItems()
    s.answer(failed(new Error('who knows')))
    assert.equal(s.results.length, 1)
    s.tick(100_000)
    assert.equal(s.inner.calls.length, 1)
  })

  test('unreachable: the delay is capped at unreachableRetryMillis, a server hint still wins', (t) => {
    const s = setup(t, { policy: { initialBackoffMillis: 100, multiplier: 2, unreachableRetryMillis: 250 } })
    s.exportItems()
    for (const delay of [100, 200, 250]) {
      s.answer(transient('no connection', { unreachable: true }))
      s.waitWithoutAttempt(delay - 1)
      s.tick(1)
    }
    s.answer(transient('no connection', { unreachable: true, retryAfterMillis: 4000 }))
    s.waitWithoutAttempt(3999)
    s.tick(1)
    assert.equal(s.inner.calls.length, 5)
    assert.equal(s.exporter.retryCount, 4)
  })
})

describe('the export deadline', () => {
  // A retry starts only if elapsed + delay + one attempt's timeout fits in the export's deadline.
  test('a retry that fits exactly starts; the next one, which would not fit, is not started', (t) => {
    const s = setup(t, { budget: { exportTimeoutMillis: 6000, attemptTimeoutMillis: 3000 } })
    s.exportItems()
    s.tick(2000) // the first attempt takes 2 s
    s.answer(transient()) // 2000 + 1000 + 3000 = 6000: fits
    s.waitWithoutAttempt(999)
    s.tick(1)
    assert.equal(s.inner.calls.length, 2)
    const last = transient('second')
    s.answer(last) // 3000 + 2000 + 3000 = 8000: does not fit
    assert.deepEqual(s.results, [last], 'done at once with the failure, not after a wait')
    assert.equal(s.exporter.retryCount, 1)
    s.tick(100_000)
    assert.equal(s.inner.calls.length, 2)
  })

  test('one millisecond over the deadline: no retry', (t) => {
    const s = setup(t, { budget: { exportTimeoutMillis: 5999, attemptTimeoutMillis: 3000 } })
    s.exportItems()
    s.tick(2000)
    s.answer(transient())
    assert.equal(s.results.length, 1)
    assert.equal(s.exporter.retryCount, 0)
  })

  test('a server hint longer than the deadline allows is not waited for, and the failure says why', (t) => {
    const s = setup(t, { budget: { exportTimeoutMillis: 10_000, attemptTimeoutMillis: 1000 } })
    s.exportItems()
    s.answer(failed(classifyFailure(new Error('later'), { kind: 'throttled', retryAfterMillis: 9001 })))
    assert.equal(s.results.length, 1)
    assert.equal(s.exporter.retryCount, 0)
    assert.equal(
      s.results[0].error.message,
      "later (the collector asked to retry after 9 s, more than is left of this export's 10 s: " +
        'exporter.retry.budgetMillis)'
    )
  })
})

describe('shutdown', () => {
  test('settles every waiting retry with its last failure, at once, and shuts the inner exporter down', async (t) => {
    const s = setup(t)
    const first = []
    const second = []
    s.exporter.export(['a'], (r) => first.push(r))
    const firstFailure = transient('first')
    s.answer(firstFailure)
    s.exporter.export(['b'], (r) => second.push(r))
    const secondFailure = transient('second')
    s.answer(secondFailure)
    assert.deepEqual([first, second], [[], []], 'both wait for a retry')
    await s.exporter.shutdown()
    assert.deepEqual(first, [firstFailure])
    assert.deepEqual(second, [secondFailure])
    assert.equal(s.inner.shutdowns, 1)
    s.tick(100_000)
    assert.equal(s.inner.calls.length, 2, 'the cancelled retries never run')
    assert.deepEqual([first.length, second.length], [1, 1])
  })

  test('a failure reported after shutdown is passed on at once, not retried', async (t) => {
    const s = setup(t)
    s.exportItems()
    await s.exporter.shutdown()
    const failure = transient('during shutdown')
    s.answer(failure)
    assert.deepEqual(s.results, [failure])
    s.tick(100_000)
    assert.equal(s.inner.calls.length, 1)
    assert.equal(s.exporter.retryCount, 0)
  })

  test('forceFlush reaches the inner exporter when it has one', async (t) => {
    const s = setup(t)
    await s.exporter.forceFlush()
    let flushed = 0
    s.inner.forceFlush = async () => {
      flushed++
    }
    await s.exporter.forceFlush()
    assert.equal(flushed, 1)
  })
})

describe('the context of a retry', () => {
  before(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()))
  after(() => context.disable())

  test('each retry runs in the export context, whatever context the timer fires in', async (t) => {
    const s = setup(t)
    const inRequest = requestContext()
    context.with(EXPORT_CONTEXT, () => s.exportItems())
    context.with(inRequest, () => s.answer(transient()))
    context.with(inRequest, () => s.tick(1000))
    await settle(1)
    assert.equal(s.inner.calls.length, 2)
    assert.equal(s.inner.calls[1].context, EXPORT_CONTEXT)
  })
})

test('lastFailure: the failure while a retry waits; nothing while an attempt is under way or after a success', (t) => {
  const s = setup(t)
  assert.equal(s.exporter.lastFailure, undefined)
  s.exportItems()
  assert.equal(s.exporter.lastFailure, undefined, 'the first attempt is under way')
  s.answer(transient('connect ECONNREFUSED 127.0.0.1:9'))
  assert.equal(s.exporter.lastFailure, 'connect ECONNREFUSED 127.0.0.1:9', 'a retry waits')
  s.tick(1000)
  assert.equal(s.exporter.lastFailure, undefined, 'the retry is under way')
  s.answer(SUCCESS)
  assert.equal(s.exporter.lastFailure, undefined)
  assert.deepEqual(s.results, [SUCCESS])
})

test('the observer hears of a run of failures once, when its first retry is scheduled, and of its end at the ' +
  'first success, with whether a batch ran out of retries meanwhile', (t) => {
  const s = setup(t, { policy: { maxAttempts: 2 } })
  const heard = []
  s.exporter.observe({
    onRetrying: (reason, budgetMillis) => heard.push(['retrying', reason, budgetMillis]),
    onRecovered: (millis, gaveUp) => heard.push(['recovered', millis, gaveUp])
  })
  s.exportItems()
  s.answer(transient('first'))
  s.tick(1000)
  s.answer(transient('second')) // attempt 2 of 2: this batch runs out of retries
  s.exportItems()
  s.answer(transient('third')) // the same run: not heard again
  s.tick(1000)
  s.answer(SUCCESS)
  assert.deepEqual(heard, [
    ['retrying', 'first', BUDGET.exportTimeoutMillis],
    ['recovered', 2000, true]
  ])
  // A success without failures before it is no recovery; a new run is heard again, and ends clean.
  s.exportItems()
  s.answer(SUCCESS)
  s.exportItems()
  s.answer(transient('fourth'))
  s.tick(1000)
  s.answer(SUCCESS)
  assert.deepEqual(heard.slice(2), [
    ['retrying', 'fourth', BUDGET.exportTimeoutMillis],
    ['recovered', 1000, false]
  ])
})
