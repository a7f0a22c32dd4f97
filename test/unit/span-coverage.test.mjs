// The coverage figure (sdk/traces/span-coverage.ts), the children it is computed over
// (sdk/traces/child-spans.ts, through the package's processor chain) and the clock that places
// times measured later on a span's own time line (sdk/traces/span-clock.ts).
import { context, createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { millisToHrTime } from '@opentelemetry/core'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { coveredBy, uncoveredMillis, uncoveredShare, uncoveredWithin } from '../../dist/sdk/traces/span-coverage.js'
import { COVERAGE_SCOPE, startUncollected } from '../../dist/sdk/traces/child-spans.js'
import { ProcessorChain } from '../../dist/sdk/traces/processor-chain.js'
import { spanClockOf, timeOn } from '../../dist/sdk/traces/span-clock.js'

const at = (millis) => millisToHrTime(1_700_000_000_000 + millis)
const child = (from, to) => ({
  startTime: at(from),
  endTime: to === undefined ? [0, 0] : at(to),
  ended: to !== undefined
})

const uncovered = (from, to, children) => uncoveredMillis(coveredBy(at(from), at(to), children))

test('no child: all of the duration is uncovered; an empty duration has a share of 0', () => {
  assert.equal(uncovered(0, 800, undefined), 800)
  assert.equal(uncovered(0, 800, []), 800)
  assert.equal(uncoveredShare(coveredBy(at(0), at(800), [])), 1)
  assert.equal(uncoveredShare(coveredBy(at(0), at(0), [])), 0)
})

test('overlapping children count once; gaps between them are uncovered', () => {
  // 0-800: [100, 300] and [200, 350] overlap (250 covered), [500, 550] (50): 300 covered.
  const children = [child(200, 350), child(100, 300), child(500, 550)]
  const covered = coveredBy(at(0), at(800), children)
  assert.deepEqual(covered.intervals, [
    [100, 350],
    [500, 550]
  ])
  assert.equal(uncoveredMillis(covered), 500)
  assert.equal(uncoveredShare(covered), 0.625)
  // One child inside another adds nothing.
  assert.equal(uncovered(0, 100, [child(10, 90), child(20, 30)]), 20)
})

test('children are clipped to the parent; one still running covers until the parent ends', () => {
  // Starts before the parent (an in-process request's caller), outlives it (a fire-and-forget call).
  assert.equal(uncovered(100, 200, [child(50, 120), child(180, 400)]), 60)
  assert.equal(uncovered(0, 100, [child(40, undefined)]), 40)
  // Entirely outside: covers nothing.
  assert.equal(uncovered(100, 200, [child(0, 50), child(300, 350)]), 100)
})

test("how much of a hook's stretch no child covered: the part of the uncovered time it explains", () => {
  const covered = coveredBy(at(0), at(800), [child(100, 350), child(500, 550)])
  // A hook from 0 to 480 nothing covered but [100, 350]; a handler from 480 to 560 mostly covered.
  assert.equal(uncoveredWithin(covered, 0, 480), 230)
  assert.equal(uncoveredWithin(covered, 480, 560), 30)
  assert.equal(uncoveredWithin(covered, 600, 800), 200)
})

/** A pipeline the way the package assembles it: the SDK's provider over the package's processor chain. */
function pipeline () {
  const exporter = new InMemorySpanExporter()
  const chain = new ProcessorChain([new SimpleSpanProcessor({ exporter })])
  const provider = new TracerProvider({ spanProcessors: [chain] })
  return { exporter, tracer: provider.getTracer('t') }
}

test("the chain collects a scope span's direct children, whoever starts them, and nothing else", () => {
  const { tracer } = pipeline()
  const request = tracer.startSpan('request')
  const owner = { span: request, children: undefined }
  const requestContext = trace.setSpan(ROOT_CONTEXT, request).setValue(COVERAGE_SCOPE, { span: request, owner })
  const direct = tracer.startSpan('db.query', {}, requestContext)
  // Another key on the same context (baggage, say) changes nothing.
  tracer.startSpan('cache.get', {}, requestContext.setValue(createContextKey('x'), 1))
  // A grandchild is not a direct child; a span outside the request is nobody's.
  tracer.startSpan('row.decode', {}, trace.setSpan(requestContext, direct)).end()
  tracer.startSpan('elsewhere', {}, ROOT_CONTEXT).end()
  // The package's own lifecycle spans explain the request's time: never collected.
  startUncollected(() => tracer.startSpan('preHandler - check', {}, requestContext)).end()
  assert.deepEqual(
    owner.children.map((s) => s.name),
    ['db.query', 'cache.get']
  )
  // A lifecycle span standing in for the request ('all') hands its children on.
  const hook = startUncollected(() => tracer.startSpan('handler - get', {}, requestContext))
  const hookContext = trace.setSpan(requestContext, hook).setValue(COVERAGE_SCOPE, { span: hook, owner })
  tracer.startSpan('inside the handler', {}, hookContext).end()
  assert.deepEqual(
    owner.children.map((s) => s.name),
    ['db.query', 'cache.get', 'inside the handler']
  )
  assert.equal(context.active(), ROOT_CONTEXT)
})

test("a later performance.now() reading lands on the SDK span's own time line, where its end would", () => {
  const { tracer } = pipeline()
  const span = tracer.startSpan('request')
  // The SDK's Span keeps its performance reading in a private field: if this fails, sdk-trace renamed
  // _performanceStartTime and span-clock.ts must follow (the clock would otherwise start "now").
  assert.equal(typeof span._performanceStartTime, 'number', 'sdk-trace renamed Span._performanceStartTime')
  const clock = spanClockOf(span)
  assert.ok(clock !== undefined)
  const reading = performance.now()
  const placed = timeOn(clock, reading)
  span.end()
  const gap = (span.endTime[0] - placed[0]) * 1e9 + (span.endTime[1] - placed[1])
  assert.ok(gap >= 0 && gap < 5e6, `the span ended ${gap} ns after the reading placed before it`)
  // Readings before the span's start are its start.
  assert.deepEqual(timeOn(clock, clock.performanceStart - 5), span.startTime)
  assert.equal(spanClockOf({ spanContext () {} }), undefined)
})
