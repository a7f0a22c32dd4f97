// Scratch: the encoder alone in a loop, for --cpu-prof: `batch` (the request from the spans) or
// `queue` (each span written as it ends, the request copied together).
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { encodedSpanSerializer, spanRequestEncoder } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { encodedSpans } from '../../dist/sdk/traces/span-queue-encoding.js'
import { makeServerSpan } from '../pipeline/spans.mjs'

const mode = process.argv[2] ?? 'batch'
const spans = []
const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'bench' }),
  spanProcessors: [{ onStart () {}, onEnd (s) { spans.push(s) }, forceFlush: async () => {}, shutdown: async () => {} }]
})
const tracer = provider.getTracer('fastify-otel-kit', '0.1.0')
for (let i = 0; i < 512; i++) makeServerSpan(tracer)
const ours = spanRequestEncoder()
const encoding = encodedSpans()
const serializer = encodedSpanSerializer()
const items = new Array(512)
const run = mode === 'batch'
  ? () => ours.encode(spans)
  : () => {
      for (let i = 0; i < 512; i++) {
        encoding.measure(spans[i])
        items[i] = encoding.commit(spans[i])
      }
      serializer.serializeRequest(items)
    }
for (let r = 0; r < 500; r++) run()
const t = process.cpuUsage()
for (let r = 0; r < 3000; r++) run()
const u = process.cpuUsage(t)
console.log(mode, ((u.user + u.system) / (3000 * 512)).toFixed(3), 'us/span')
