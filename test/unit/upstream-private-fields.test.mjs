// Upstream's private fields this package still reads, each held to the installed version here, so
// that a rename upstream fails this file by name instead of silently turning a feature off.
//
// sdk/spans/span-sink.ts: an application that registers its own SDK (no plugin pipeline) still gets
// the spans made in worker threads, fed to its provider's processors with its resource. The SDK has
// no public way to reach either: its TracerProvider keeps them in `_activeSpanProcessor` and
// `_resource`. Were they renamed, currentSpanSink() would find nothing and worker spans would be
// lost without a word.
import { ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { currentSpanSink } from '../../dist/sdk/traces/span-sink.js'
import { registerApplicationSdk } from '../helpers.mjs'

const require = createRequire(import.meta.url)
// The package's exports hide its manifest; it sits above the resolved entry.
const manifest = join(dirname(require.resolve('@opentelemetry/sdk-trace')), '..', 'package.json')
const sdkTraceVersion = JSON.parse(readFileSync(manifest, 'utf8')).version

test(`sdk-trace ${sdkTraceVersion}: TracerProvider keeps _activeSpanProcessor and _resource`, () => {
  const resource = resourceFromAttributes({ 'service.name': 'app-own-sdk' })
  const exporter = new InMemorySpanExporter()
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  const renamed = (field) =>
    `sdk-trace ${sdkTraceVersion} renamed TracerProvider.${field}: update sdk/spans/span-sink.ts`
  assert.equal(provider._resource, resource, renamed('_resource'))
  const processor = provider._activeSpanProcessor
  assert.ok(processor !== undefined, renamed('_activeSpanProcessor'))
  for (const method of ['onStart', 'onEnd', 'forceFlush', 'shutdown']) {
    assert.equal(typeof processor[method], 'function', method)
  }
  // It is the processor the provider's tracers use: a span ended through it reaches the exporter.
  const span = provider.getTracer('guard').startSpan('through-the-provider')
  span.end()
  assert.deepEqual(
    exporter.getFinishedSpans().map((s) => s.name),
    ['through-the-provider']
  )
})

test("currentSpanSink() finds an application's own SDK through them; a span fed to it is exported", async (t) => {
  const resource = resourceFromAttributes({ 'service.name': 'app-own-sdk' })
  const exporter = new InMemorySpanExporter()
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  registerApplicationSdk(t, provider)
  const sink = currentSpanSink()
  assert.ok(sink !== undefined, "the application's SDK was not found: were its private fields renamed?")
  assert.equal(sink.resource, resource)
  assert.equal(sink.processor, provider._activeSpanProcessor)

  // A span made elsewhere (as a worker's relayed span is rebuilt on the main thread) and fed in.
  const elsewhere = new InMemorySpanExporter()
  const other = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: elsewhere })] })
  other.getTracer('worker').startSpan('from-a-worker', {}, ROOT_CONTEXT).end()
  sink.processor.onEnd(elsewhere.getFinishedSpans()[0])
  await provider.forceFlush()
  assert.deepEqual(
    exporter.getFinishedSpans().map((s) => s.name),
    ['from-a-worker']
  )
  assert.ok(trace.getTracerProvider() !== undefined)
})

test("a provider without those fields (not the SDK's) is not taken for a pipeline", async (t) => {
  const foreign = { getTracer: () => trace.getTracer('none') }
  registerApplicationSdk(t, { ...foreign, shutdown: async () => {} })
  assert.equal(currentSpanSink(), undefined)
})
