// Scratch: the encoder alone in a loop, for --cpu-prof.
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { spanRequestEncoder } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { makeServerSpan } from '../pipeline/spans.mjs'

const spans = []
const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'bench' }),
  spanProcessors: [{ onStart () {}, onEnd (s) { spans.push(s) }, forceFlush: async () => {}, shutdown: async () => {} }]
})
const tracer = provider.getTracer('fastify-otel-kit', '0.1.0')
for (let i = 0; i < 512; i++) makeServerSpan(tracer)
const ours = spanRequestEncoder()
const t = performance.now()
for (let r = 0; r < 4000; r++) ours.encode(spans)
console.log(((performance.now() - t) * 1000) / (4000 * 512))
