// Scratch: a fixed amount of encoding work, for instruction counts under valgrind (a shared,
// noisy machine makes CPU time swing; instruction counts do not).
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node encoder-instructions.mjs <mode> <batches>
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { spanRequestEncoder } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { makeServerSpan } from '../pipeline/spans.mjs'

const [mode = 'ours', batches = '0'] = process.argv.slice(2)
const spans = []
const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'bench' }),
  spanProcessors: [{ onStart () {}, onEnd (s) { spans.push(s) }, forceFlush: async () => {}, shutdown: async () => {} }]
})
const tracer = provider.getTracer('fastify-otel-kit', '0.1.0')
for (let i = 0; i < 512; i++) makeServerSpan(tracer)
const ours = spanRequestEncoder()
const run = mode === 'ours' ? () => ours.encode(spans) : () => ProtobufTraceSerializer.serializeRequest(spans)
// Warm-up is part of both counts; the difference between two batch counts is the steady cost.
for (let r = 0; r < 300; r++) run()
for (let r = 0; r < Number(batches); r++) run()
