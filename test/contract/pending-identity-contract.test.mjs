// The preload's resource (sdk/assembly/pending-identity.ts) beside upstream's: once settled, it is
// the resource upstream would have built from the same parts (attributes, schema URL, merge, and
// the OTLP bytes a span with it serialises to, protobuf and JSON), and upstream's own batch
// processor waits for it as for any resource with pending attributes, which settles it.
import { resourceFromAttributes } from '@opentelemetry/resources'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { BatchSpanProcessor, InMemorySpanExporter, TracerProvider } from '@opentelemetry/sdk-trace'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PendingIdentityResource } from '../../dist/sdk/assembly/pending-identity.js'

/** What the detectors found: one attribute still on its way, as host.id is. */
function detected () {
  return resourceFromAttributes(
    { 'host.name': 'box', 'host.id': Promise.resolve('machine-1'), 'service.name': 'unknown_service:node' },
    { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }
  )
}
const IDENTITY = { 'service.name': 'checkout', 'service.version': '2.0.0', 'replica.count': 3 }

/** Both resources, settled: ours by the plugin, upstream's as the package builds it without the preload. */
async function both () {
  const ours = new PendingIdentityResource(detected(), { 'service.name': 'unknown_service:node' }, () => {})
  ours.settle('plugin', IDENTITY)
  await ours.waitForAsyncAttributes()
  const upstream = detected().merge(resourceFromAttributes(IDENTITY))
  await upstream.waitForAsyncAttributes()
  return { ours, upstream }
}

/** One finished span, seen with either resource. */
function spanWith (resource, span) {
  return new Proxy(span, { get: (target, key) => (key === 'resource' ? resource : Reflect.get(target, key, target)) })
}

test('settled, it has upstream\'s attributes, schema URL and merge', async () => {
  const { ours, upstream } = await both()
  assert.equal(ours.asyncAttributesPending, false)
  assert.deepEqual(ours.attributes, upstream.attributes)
  assert.equal(ours.schemaUrl, upstream.schemaUrl)
  const other = resourceFromAttributes({ 'service.name': 'merged', extra: true })
  assert.deepEqual(ours.merge(other).attributes, upstream.merge(other).attributes)
  assert.deepEqual(other.merge(ours).attributes, other.merge(upstream).attributes)
})

test('a span with it serialises to the same OTLP bytes as with upstream\'s resource, protobuf and JSON', async () => {
  const { ours, upstream } = await both()
  const exporter = new InMemorySpanExporter()
  const collect = {
    onStart () {},
    onEnd: (s) => exporter.export([s], () => {}),
    forceFlush: async () => {},
    shutdown: async () => {}
  }
  const provider = new TracerProvider({ resource: upstream, spanProcessors: [collect] })
  provider.getTracer('contract').startSpan('GET /orders/:id', { attributes: { 'http.route': '/orders/:id' } }).end()
  const [span] = exporter.getFinishedSpans()
  for (const serializer of [ProtobufTraceSerializer, JsonTraceSerializer]) {
    const fromOurs = serializer.serializeRequest([spanWith(ours, span)])
    const fromUpstream = serializer.serializeRequest([spanWith(upstream, span)])
    assert.deepEqual(Buffer.from(fromOurs), Buffer.from(fromUpstream))
  }
})

test("upstream's BatchSpanProcessor waits for the open identity, which its export settles", async () => {
  const settled = []
  const ours = new PendingIdentityResource(detected(), { 'service.name': 'from-env' }, (by) => settled.push(by))
  const exporter = new InMemorySpanExporter()
  const provider = new TracerProvider({ resource: ours, spanProcessors: [new BatchSpanProcessor({ exporter })] })
  provider.getTracer('contract').startSpan('startup work').end()
  assert.equal(ours.asyncAttributesPending, true)
  await provider.forceFlush()
  assert.deepEqual(settled, ['export'])
  const [span] = exporter.getFinishedSpans()
  assert.equal(span.resource.attributes['service.name'], 'from-env')
  assert.equal(span.resource.attributes['host.id'], 'machine-1')
  await provider.shutdown()
})
