// withProducerSpan / withConsumerSpan: PRODUCER and CONSUMER spans with the messaging semantic
// conventions, the producer's context in the message, the consumer linked to it and parented as
// options.parent says, the queue wait recorded. In-process, an SDK with an in-memory exporter.
import {
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  CompositePropagator,
  suppressTracing,
  W3CBaggagePropagator,
  W3CTraceContextPropagator
} from '@opentelemetry/core'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { captureContext, withConsumerSpan, withProducerSpan, withSpan } from 'fastify-otel-kit/context'
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'

/** Ended spans, kept synchronously (an exporter behind SimpleSpanProcessor would hand them over later). */
let ended = []
const exporter = { reset: () => { ended = [] }, getFinishedSpans: () => ended }
const recorder = {
  onStart () {},
  onEnd: (span) => ended.push(span),
  forceFlush: async () => {},
  shutdown: async () => {}
}
const provider = new TracerProvider({ spanProcessors: [recorder] })
const tracer = provider.getTracer('test')

before(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] })
  )
  trace.setGlobalTracerProvider(provider)
})
after(async () => {
  await provider.shutdown()
  trace.disable()
  context.disable()
  propagation.disable()
})
beforeEach(() => exporter.reset())

const spans = () => exporter.getFinishedSpans()
const named = (name) => {
  const found = spans().filter((s) => s.name === name)
  assert.equal(found.length, 1, `one span named ${name}; have ${spans().map((s) => s.name).join(', ')}`)
  return found[0]
}
const idOf = (span) => span.spanContext().spanId
const traceOf = (span) => span.spanContext().traceId
const parentOf = (span) => span.parentSpanContext?.spanId
const linkIds = (span) => span.links.map((l) => l.context.spanId)
const target = { system: 'bullmq', destination: 'emails' }

/** A message as a queue would hand it back: the carrier through JSON, as Redis or SQS store it. */
async function enqueue (options = target) {
  return await withSpan('POST /orders', async () =>
    withProducerSpan(options, async (otel) => JSON.parse(JSON.stringify({ orderId: 'o-1', otel })))
  )
}

describe('withProducerSpan', () => {
  test('a PRODUCER span under the active span, messaging attributes, its context in the carrier', async () => {
    const job = await enqueue({ ...target, messageId: 'job-42', attributes: { 'app.tenant': 'acme' } })
    const request = named('POST /orders')
    const send = named('send emails')
    assert.equal(send.kind, SpanKind.PRODUCER)
    assert.equal(parentOf(send), idOf(request))
    assert.deepEqual(send.attributes, {
      'app.tenant': 'acme',
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'emails',
      'messaging.message.id': 'job-42'
    })
    assert.equal(send.status.code, SpanStatusCode.UNSET, 'instrumentation leaves a success unset')
    assert.equal(job.otel.traceparent, `00-${traceOf(send)}-${idOf(send)}-01`)
    assert.ok(Math.abs(job.otel.enqueuedAt - Date.now()) < 5_000)
    assert.deepEqual(Object.keys(job.otel).sort(), ['enqueuedAt', 'traceparent'])
  })

  test('the carrier is what captureContext gives inside the span, and the span is active in fn', () => {
    withProducerSpan({ ...target, operation: 'publish' }, (carrier, span) => {
      assert.equal(trace.getSpan(context.active()), span)
      const { enqueuedAt, ...rest } = carrier
      assert.deepEqual(rest, captureContext())
    })
    assert.equal(named('publish emails').attributes['messaging.operation.name'], 'publish')
  })

  test('a batch send records messaging.batch.message_count', () => {
    withProducerSpan({ ...target, messageCount: 3 }, () => {})
    assert.equal(named('send emails').attributes['messaging.batch.message_count'], 3)
  })

  test('a count only on a batch, an id only on a single message (a number as its digits)', () => {
    withProducerSpan({ ...target, messageCount: 1, messageId: 42 }, () => {})
    const single = named('send emails').attributes
    assert.equal(single['messaging.batch.message_count'], undefined)
    assert.equal(single['messaging.message.id'], '42')
    exporter.reset()
    withProducerSpan({ ...target, messageCount: 5, messageId: 'm-1' }, () => {})
    const batch = named('send emails').attributes
    assert.equal(batch['messaging.batch.message_count'], 5)
    assert.equal(batch['messaging.message.id'], undefined)
  })

  test('a destination template names the span; the destination stays in its attribute', () => {
    const perCustomer = { system: 'kafka', destination: 'orders.cust-123', destinationTemplate: 'orders.{customer}' }
    withProducerSpan(perCustomer, () => {})
    const send = named('send orders.{customer}')
    assert.equal(send.attributes['messaging.destination.name'], 'orders.cust-123')
    assert.equal(send.attributes['messaging.destination.template'], 'orders.{customer}')
    assert.throws(() => withProducerSpan({ ...target, destinationTemplate: '' }, () => {}), /options\.destinationTemplate/)
  })

  test('a rejection is recorded (ERROR, error.type, exception) and the same error passed on', async () => {
    const down = new Error('Connection is closed.')
    await assert.rejects(
      withProducerSpan(target, async () => {
        throw down
      }),
      (error) => error === down
    )
    const send = named('send emails')
    assert.deepEqual(send.status, { code: SpanStatusCode.ERROR, message: 'Connection is closed.' })
    assert.equal(send.attributes['error.type'], 'Error')
    assert.equal(send.events[0].name, 'exception')
  })

  test('a sync throw too; the span ends either way', () => {
    assert.throws(() =>
      withProducerSpan(target, () => {
        throw new TypeError('bad payload')
      })
    )
    assert.equal(named('send emails').attributes['error.type'], 'TypeError')
  })

  test('mistakes in the call are TypeErrors that say what is missing', () => {
    assert.throws(() => withProducerSpan({ system: 'bullmq' }, () => {}), /options\.destination/)
    assert.throws(() => withProducerSpan({ destination: 'emails' }, () => {}), /options\.system/)
    assert.throws(() => withProducerSpan(undefined, () => {}), /needs options/)
    assert.throws(() => withProducerSpan(target), /needs a function/)
    assert.equal(spans().length, 0)
  })
})

describe('withConsumerSpan', () => {
  test('no active span: a CONSUMER child of the producer, linked to it, with the queue wait', async () => {
    const job = await enqueue()
    job.otel.enqueuedAt -= 1500 // as if it had waited in the queue for a second and a half
    const result = await withConsumerSpan(job.otel, { ...target, messageId: '7' }, async () =>
      withSpan('email.send', async () => 'sent')
    )
    assert.equal(result, 'sent')
    const send = named('send emails')
    const process = named('process emails')
    assert.equal(process.kind, SpanKind.CONSUMER)
    assert.equal(traceOf(process), traceOf(send))
    assert.equal(parentOf(process), idOf(send))
    assert.deepEqual(linkIds(process), [idOf(send)])
    assert.equal(parentOf(named('email.send')), idOf(process), "the job's own spans sit under the CONSUMER span")
    const { 'queue.wait_time_ms': wait, ...attributes } = process.attributes
    assert.ok(wait >= 1500 && wait < 10_000, `wait ${wait}`)
    assert.deepEqual(attributes, {
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'emails',
      'messaging.message.id': '7'
    })
    assert.equal(process.status.code, SpanStatusCode.UNSET)
  })

  test("parent: 'link-only' with no active span: a new trace, linked to the producer", async () => {
    const job = await enqueue()
    withConsumerSpan(job.otel, { ...target, parent: 'link-only' }, () => {})
    const process = named('process emails')
    assert.equal(process.parentSpanContext, undefined)
    assert.notEqual(traceOf(process), traceOf(named('send emails')))
    assert.deepEqual(linkIds(process), [idOf(named('send emails'))])
  })

  test('inside another span: by default its child, linked to the producer (the conventions default)', async () => {
    const job = await enqueue()
    withSpan('poll emails', () => withConsumerSpan(job.otel, target, () => {}))
    const process = named('process emails')
    assert.equal(parentOf(process), idOf(named('poll emails')))
    assert.deepEqual(linkIds(process), [idOf(named('send emails'))])
  })

  test("inside another span with parent: 'producer': the producer's child, linked to both", async () => {
    const job = await enqueue()
    withSpan('poll emails', () => withConsumerSpan(job.otel, { ...target, parent: 'producer' }, () => {}))
    const process = named('process emails')
    assert.equal(parentOf(process), idOf(named('send emails')))
    assert.deepEqual(linkIds(process), [idOf(named('send emails')), idOf(named('poll emails'))])
  })

  test("the message's baggage is active in fn, whichever the parent", async () => {
    const bag = propagation.createBaggage({ 'tenant.id': { value: 'acme' } })
    const job = await context.with(propagation.setBaggage(context.active(), bag), () => enqueue())
    assert.equal(job.otel.baggage, 'tenant.id=acme')
    for (const parent of ['producer', 'link-only']) {
      const seen = withConsumerSpan(job.otel, { ...target, parent }, () =>
        propagation.getBaggage(context.active())?.getEntry('tenant.id')?.value
      )
      assert.equal(seen, 'acme', parent)
    }
  })

  test('the rest of the active context stays: another library\'s values, suppressed tracing', async () => {
    const job = await enqueue()
    exporter.reset()
    const key = createContextKey('request id')
    const seen = context.with(context.active().setValue(key, 'r-1'), () =>
      withConsumerSpan(job.otel, target, () => context.active().getValue(key))
    )
    assert.equal(seen, 'r-1')
    assert.equal(parentOf(named('process emails')), JSON.parse(JSON.stringify(job.otel)).traceparent.split('-')[2])
    exporter.reset()
    context.with(suppressTracing(context.active()), () => withConsumerSpan(job.otel, target, () => {}))
    assert.equal(spans().length, 0, 'no span while tracing is suppressed')
  })

  test('a batch: one span linked to every producer, the count, the oldest wait, never a producer parent', async () => {
    const jobs = [await enqueue(), await enqueue(), await enqueue()]
    jobs[1].otel.enqueuedAt -= 60_000
    withConsumerSpan(
      jobs.map((j) => j.otel),
      target,
      () => {}
    )
    const process = named('process emails')
    const producers = spans().filter((s) => s.name === 'send emails')
    assert.equal(process.parentSpanContext, undefined)
    assert.deepEqual(linkIds(process).sort(), producers.map(idOf).sort())
    assert.equal(process.attributes['messaging.batch.message_count'], 3)
    assert.ok(process.attributes['queue.wait_time_ms'] >= 60_000)
    exporter.reset()
    // A batch of one is a single message: no count, and its id; a batch's span names no message id.
    withConsumerSpan([jobs[0].otel], { ...target, messageId: 'm-1' }, () => {})
    assert.equal(named('process emails').attributes['messaging.batch.message_count'], undefined)
    assert.equal(named('process emails').attributes['messaging.message.id'], 'm-1')
    exporter.reset()
    withConsumerSpan([jobs[0].otel, jobs[1].otel], { ...target, messageId: 'm-1' }, () => {})
    assert.equal(named('process emails').attributes['messaging.message.id'], undefined)
    assert.throws(
      () => withConsumerSpan([jobs[0].otel], { ...target, parent: 'producer' }, () => {}),
      /use parent: 'link-only' for a batch/
    )
  })

  test('a missing or malformed carrier is processed all the same, with no link and no throw', () => {
    for (const carrier of [undefined, null, 'x', { traceparent: '00-zz-zz-01' }, { traceparent: 42 }]) {
      exporter.reset()
      assert.equal(
        withConsumerSpan(carrier, target, () => 'done'),
        'done'
      )
      const process = named('process emails')
      assert.equal(process.parentSpanContext, undefined)
      assert.deepEqual(process.links, [])
      assert.equal(process.attributes['queue.wait_time_ms'], undefined)
    }
  })

  test("carriers as messaging clients hand headers back: bytes (Kafka), SQS's message attributes", async () => {
    const job = await enqueue()
    const producer = idOf(named('send emails'))
    const asBytes = Object.fromEntries(Object.entries(job.otel).map(([k, v]) => [k, Buffer.from(String(v))]))
    const asSqs = Object.fromEntries(
      Object.entries(job.otel).map(([k, v]) => [k, { DataType: 'String', StringValue: String(v) }])
    )
    for (const carrier of [asBytes, asSqs]) {
      exporter.reset()
      withConsumerSpan(carrier, target, () => {})
      assert.deepEqual(linkIds(named('process emails')), [producer])
      // enqueuedAt in the same shape: the queue wait too.
      assert.equal(typeof named('process emails').attributes['queue.wait_time_ms'], 'number')
    }
  })

  test('a carrier whose field throws when read is no carrier: fn runs, no link, no throw', async () => {
    const job = await enqueue()
    exporter.reset()
    const boom = () => {
      throw new Error('boom')
    }
    const hostile = [
      { get traceparent () { return boom() } },
      { ...job.otel, get enqueuedAt () { return boom() } },
      new Proxy({}, { get: boom, has: boom, ownKeys: boom })
    ]
    for (const carrier of hostile) {
      for (const message of [carrier, [carrier, job.otel]]) {
        exporter.reset()
        assert.equal(withConsumerSpan(message, target, () => 'done'), 'done')
        assert.equal(spans().length, 1)
      }
    }
  })

  test('the enqueue time from the broker wins; one in the future gives no wait', async () => {
    const job = await enqueue()
    withConsumerSpan(job.otel, { ...target, enqueuedAt: new Date(Date.now() - 30_000) }, () => {})
    assert.ok(named('process emails').attributes['queue.wait_time_ms'] >= 30_000)
    exporter.reset()
    withConsumerSpan(job.otel, { ...target, enqueuedAt: Date.now() + 60_000 }, () => {})
    assert.equal(named('process emails').attributes['queue.wait_time_ms'], undefined)
  })

  test('a failing job: ERROR with error.type and the exception, the same error passed on', async () => {
    const job = await enqueue()
    const failure = new RangeError('card declined')
    await assert.rejects(
      withConsumerSpan(job.otel, target, async () => {
        throw failure
      }),
      (error) => error === failure
    )
    const process = named('process emails')
    assert.deepEqual(process.status, { code: SpanStatusCode.ERROR, message: 'card declined' })
    assert.equal(process.attributes['error.type'], 'RangeError')
  })

  test("inside another library's CONSUMER span (bullmq-otel): no second one, the job's spans under it", async () => {
    const job = await enqueue()
    // What BullMQ's worker does with bullmq-otel: its CONSUMER span active around the processor.
    await tracer.startActiveSpan('process emails (bullmq)', { kind: SpanKind.CONSUMER }, ROOT_CONTEXT, async (bull) => {
      await withConsumerSpan(job.otel, target, async (span) => {
        assert.equal(span, bull)
        await withSpan('email.send', async () => {})
      })
      bull.end()
    })
    const bull = named('process emails (bullmq)')
    assert.equal(spans().filter((s) => s.kind === SpanKind.CONSUMER).length, 1)
    assert.equal(parentOf(named('email.send')), idOf(bull))
    // Its trace is not the producer's here: the producer is linked.
    assert.deepEqual(linkIds(bull), [idOf(named('send emails'))])
  })

  test("joining another library's span: the message's id, wait and attributes it lacks, its baggage", async () => {
    const bag = propagation.createBaggage({ 'tenant.id': { value: 'acme' } })
    const job = await context.with(propagation.setBaggage(context.active(), bag), () => enqueue())
    const options = { ...target, messageId: 'job-7', attributes: { 'app.kept': 'theirs', 'app.added': 'ours' } }
    const attributes = { 'app.kept': 'bullmq' }
    let seen
    tracer.startActiveSpan('process emails (bullmq)', { kind: SpanKind.CONSUMER, attributes }, ROOT_CONTEXT, (bull) => {
      withConsumerSpan(job.otel, options, () => {
        seen = propagation.getBaggage(context.active())?.getEntry('tenant.id')?.value
      })
      bull.end()
    })
    const bull = named('process emails (bullmq)')
    assert.equal(seen, 'acme')
    assert.equal(bull.attributes['messaging.message.id'], 'job-7')
    assert.equal(bull.attributes['app.kept'], 'bullmq', "the other instrumentation's attribute stays")
    assert.equal(bull.attributes['app.added'], 'ours')
    assert.equal(typeof bull.attributes['queue.wait_time_ms'], 'number')
  })

  test("joining: a producer in the same trace is linked unless it is the joined span's parent", async () => {
    const job = await enqueue()
    const producerContext = trace.setSpanContext(ROOT_CONTEXT, {
      ...named('send emails').spanContext(),
      isRemote: true
    })
    // The joined span in the producer's trace, under another span of it (a redelivery, say).
    const retry = tracer.startSpan('redeliver', {}, producerContext)
    const underRetry = trace.setSpan(ROOT_CONTEXT, retry)
    tracer.startActiveSpan('process emails (bullmq)', { kind: SpanKind.CONSUMER }, underRetry, (bull) => {
      withConsumerSpan(job.otel, target, () => {})
      bull.end()
    })
    retry.end()
    assert.deepEqual(linkIds(named('process emails (bullmq)')), [idOf(named('send emails'))])
    exporter.reset()
    // The same span started as the producer's child: the relation is already there, no link.
    tracer.startActiveSpan('process emails (bullmq)', { kind: SpanKind.CONSUMER }, producerContext, (bull) => {
      withConsumerSpan(job.otel, target, () => {})
      bull.end()
    })
    assert.deepEqual(linkIds(named('process emails (bullmq)')), [])
  })

  test("a CONSUMER span of this package's, or one for another system, is a parent, not joined", async () => {
    const jobs = [await enqueue(), await enqueue()]
    const producers = spans().filter((s) => s.name === 'send emails').map(idOf)
    exporter.reset()
    withConsumerSpan(
      jobs.map((j) => j.otel),
      target,
      () => {
        for (const [i, job] of jobs.entries()) {
          withConsumerSpan(job.otel, { ...target, messageId: `m-${i}` }, () => {})
        }
      }
    )
    const all = spans().filter((s) => s.name === 'process emails')
    const batch = all.find((s) => s.attributes['messaging.batch.message_count'] === 2)
    const singles = all.filter((s) => s !== batch)
    assert.equal(singles.length, 2)
    assert.deepEqual(linkIds(batch).sort(), [...producers].sort(), 'the batch keeps one link per message')
    for (const [i, single] of singles.entries()) {
      assert.equal(parentOf(single), idOf(batch))
      assert.equal(single.attributes['messaging.message.id'], `m-${i}`)
      assert.deepEqual(linkIds(single), [producers[i]])
    }
    exporter.reset()
    const kafka = { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' }
    tracer.startActiveSpan('process orders', { kind: SpanKind.CONSUMER, attributes: kafka }, ROOT_CONTEXT, (span) => {
      withConsumerSpan(jobs[0].otel, { system: 'rabbitmq', destination: 'replies' }, () => {})
      span.end()
    })
    assert.equal(parentOf(named('process replies')), idOf(named('process orders')))
    assert.deepEqual(linkIds(named('process orders')), [])
  })

  test('mistakes in the call are TypeErrors', () => {
    assert.throws(() => withConsumerSpan({}, { ...target, parent: 'child' }, () => {}), /'producer' or 'link-only'/)
    assert.throws(() => withConsumerSpan({}, { system: 'sqs' }, () => {}), /options\.destination/)
    assert.throws(() => withConsumerSpan({}, target), /needs a function/)
  })
})
