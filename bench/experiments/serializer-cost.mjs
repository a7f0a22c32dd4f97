// Scratch: upstream's serializer and ours per span on typical server spans, CPU time, interleaved.
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { spanRequestEncoder } from '../../dist/sdk/traces/otlp-span-encoder.js'
import { makeServerSpan } from '../pipeline/spans.mjs'

const spans = []
const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'bench', 'host.name': 'x', 'process.pid': 1234 }),
  spanProcessors: [{ onStart () {}, onEnd (s) { spans.push(s) }, forceFlush: async () => {}, shutdown: async () => {} }]
})
const tracer = provider.getTracer('fastify-otel-kit', '0.1.0')
for (let i = 0; i < 512; i++) makeServerSpan(tracer)
const ours = spanRequestEncoder()
const a = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans))
const b = Buffer.from(ours.encode(spans))
console.log('bytes equal:', a.equals(b), a.length, b.length)
const copy = Buffer.allocUnsafe(a.length)
const cases = {
  upstream: () => ProtobufTraceSerializer.serializeRequest(spans),
  ours: () => ours.encode(spans),
  copy: () => a.copy(copy)
}
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system }
const results = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
for (let round = 0; round < 15; round++) {
  for (const [name, fn] of Object.entries(cases)) {
    const n = name === 'copy' ? 2000 : 100
    const t = cpu()
    for (let r = 0; r < n; r++) fn()
    results[name].push((cpu() - t) / (n * spans.length))
  }
}
for (const [name, values] of Object.entries(results)) {
  values.sort((x, y) => x - y)
  console.log(name.padEnd(9), 'min', values[0].toFixed(3), 'median', values[values.length >> 1].toFixed(3), 'us/span')
}
