// Scratch: lifecycle timing's own code without Fastify around it, `'slow'` against `'off'`: a loop
// that does what a request of the HTTP bench's route does to it (the first hook's continuation,
// the wrapped async handler, the timed JSON serializer after the promise settled, the end of
// timing), with a request's state timed or not. Blocks of 20,000 alternate, medians of 25 blocks.
// SAME=1 times nothing in either (the loop's own floor: it should read about 0).
//   npm run build && node bench/experiments/lifecycle-isolated.mjs
import { context, INVALID_SPAN_CONTEXT, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { bindHandler } from '../../dist/plugin/lifecycle-context.js'
import { continueAsCurrent, endTiming, timedSerialization } from '../../dist/plugin/lifecycle-timing.js'
import { RequestTelemetryState } from '../../dist/plugin/request-telemetry-state.js'
import { kRequestTelemetry } from '../../dist/plugin/symbols.js'
import { clockStartingNow } from '../../dist/sdk/traces/span-clock.js'
import { STAGE_BODY } from '../../dist/plugin/lifecycle-steps.js'

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
// Read once: a process.env read costs about as much as what is measured.
const SAME = process.env.SAME === '1'
const BLOCK = 20_000

const handler = bindHandler(
  async function getOrder (request) {
    return { id: request.params.id, ok: true }
  },
  'handler',
  'fastify',
  '/orders/:id'
)
const serializeJson = (payload) => JSON.stringify(payload)
const span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
const settings = { mode: 'slow', slowMillis: 10, blockingMillis: 10 }
const requestContext = ROOT_CONTEXT.setValue(Symbol('request'), 1)
// Fastify calls a handler with the instance as `this`.
const fastify = {}
let sink = 0

function request (timed) {
  return new Promise((resolve) => {
    const t = new RequestTelemetryState(true, span, requestContext, {})
    const fastifyRequest = { params: { id: '1' }, [kRequestTelemetry]: t }
    const reply = { sent: false }
    const clock = clockStartingNow()
    t.clock = clock
    const end = performance.now()
    if (timed) {
      t.timing = settings
      t.mark = clock.performanceStart
      t.stage = STAGE_BODY
    }
    const run = () => {
      handler.call(fastify, fastifyRequest, reply).then((value) => {
        const body = timed ? timedSerialization(serializeJson, undefined, value, 200, true) : JSON.stringify(value)
        sink += body.length
        if (timed) endTiming(t, end)
        resolve()
      })
    }
    if (timed) continueAsCurrent(t, run)
    else context.with(t.context, run)
  })
}

const blocks = { off: [], slow: [] }
for (let round = 0; round < 30; round++) {
  for (const mode of round % 2 === 0 ? ['slow', 'off'] : ['off', 'slow']) {
    const started = process.hrtime.bigint()
    for (let i = 0; i < BLOCK; i++) await request(mode === 'slow' && !SAME)
    // The first rounds warm the code up and are left out.
    if (round >= 5) blocks[mode].push(Number(process.hrtime.bigint() - started) / BLOCK)
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
const off = median(blocks.off)
const slow = median(blocks.slow)
console.log(
  `Node ${process.version}${SAME ? ', SAME=1 (nothing timed in either)' : ''}: ` +
    `'off' ${off.toFixed(0)} ns, 'slow' ${slow.toFixed(0)} ns per request, difference ${(slow - off).toFixed(0)} ns` +
    (sink > 0 ? '' : ' (nothing serialized)')
)
