// BullMQ on a real Redis, with a real PostgreSQL, in two processes under the preload: the queues
// guide's service and worker give one trace PRODUCER -> CONSUMER -> the job's own spans (pg
// included); with bullmq-otel the job's spans sit under BullMQ's CONSUMER span; a failing job and
// a Redis that goes away lose no span; no job payload, literal or query parameter is in any span,
// unless OTEL_INSTRUMENTATION_COMMON_DB_STATEMENT_SANITIZER_ENABLED=false says so.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'
import { startPostgres, startRedis } from '../servers.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const PRODUCER = 4
const CONSUMER = 5
const ERROR = 2
/** What the job carries and the statements hold: none of it may reach a span. */
const PAYLOAD = ['ann@example.com']
const LITERALS = ["'paid'", "'receipt-sent'"]

let redis, postgres
before(async () => {
  ;[redis, postgres] = await Promise.all([startRedis(), startPostgres()])
})
after(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()])
})

/** A process of the test under the preload, its output collected; SIGKILLed after the test if still running. */
function start (t, file, env) {
  const child = spawn(process.execPath, ['--import', 'fastify-otel-kit/register', join(root, file)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const proc = { child, output: '', exited: once(child, 'exit') }
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    proc.output += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    proc.output += chunk
  })
  /** Resolves with the match once the output matches `pattern`; rejects if the process exits first. */
  proc.waitFor = (pattern) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = pattern.exec(proc.output)
        if (found === null) return
        child.stdout.off('data', check)
        child.stderr.off('data', check)
        resolve(found)
      }
      child.stdout.on('data', check)
      child.stderr.on('data', check)
      child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before ${pattern}:\n${proc.output}`)))
      check()
    })
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return proc
}

/** The environment of both processes: the receiver as collector, the servers, the pg and ioredis instrumentations. */
function envFor (receiver, extra = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS')
  )
  return {
    ...env,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg,ioredis',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    REDIS_URL: redis.url,
    DATABASE_URL: postgres.connectionString,
    PORT: '0',
    ...extra
  }
}

/** The service and the worker, running: `files` are the app's and the worker's. */
async function startBoth (t, receiver, { files, env = {}, workerEnv = {} }) {
  const worker = start(t, files[1], envFor(receiver, { OTEL_SERVICE_NAME: 'receipts-worker', ...env, ...workerEnv }))
  await worker.waitFor(/worker ready/)
  const app = start(t, files[0], envFor(receiver, { OTEL_SERVICE_NAME: 'orders', ...env }))
  const [, url] = await app.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/)
  return { app, worker, url }
}

const EXAMPLES = ['examples/queues/bullmq-app.mjs', 'examples/queues/bullmq-worker.mjs']
const FIXTURES = ['test/fixtures/queues/app.mjs', 'test/fixtures/queues/worker.mjs']

/** Stops a process with SIGTERM and expects it to exit 0. */
async function stop (proc) {
  proc.child.kill('SIGTERM')
  const [code, signal] = await proc.exited
  assert.equal(code, 0, `exited with ${code ?? signal}:\n${proc.output}`)
}

/** The spans of one trace, by name, each asserted to be there exactly once. */
function traceOf (receiver, traceId) {
  const spans = receiver.spans.filter((s) => s.traceId === traceId)
  const one = (name, where = () => true) => {
    const found = spans.filter((s) => s.name === name && where(s))
    assert.equal(found.length, 1, `one ${name} in the trace; have ${spans.map((s) => s.name).join(', ')}`)
    return found[0]
  }
  return { spans, one }
}

/** Every attribute, event and link attribute of every span received, as text. */
function everything (receiver) {
  const values = (map) => Object.values(map).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
  return receiver.spans.flatMap((s) => [
    s.name,
    ...values(s.attributes),
    ...s.events.flatMap((e) => values(e.attributes)),
    ...s.links.flatMap((l) => values(l.attributes))
  ])
}

/** The request's SERVER span for `path`, once its trace has `names` too. */
async function requestTrace (receiver, path, names) {
  await receiver.waitFor((spans) => {
    const request = spans.find((s) => s.kind === 2 && s.attributes['url.path'] === path)
    return request !== undefined && names.every((n) => spans.some((s) => s.traceId === request.traceId && s.name === n))
  }, 15_000)
  return receiver.spans.find((s) => s.kind === 2 && s.attributes['url.path'] === path)
}

test('the guide example: one trace across two processes, PRODUCER -> CONSUMER -> pg, no payload', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const { app, worker, url } = await startBoth(t, receiver, { files: EXAMPLES })
  const response = await fetch(`${url}/orders/ord-7421`, { method: 'POST' })
  assert.equal(response.status, 202)
  const request = await requestTrace(receiver, '/orders/ord-7421', ['receipt.render', 'pg.query:UPDATE postgres'])
  await Promise.all([stop(app), stop(worker)])

  const { one, spans } = traceOf(receiver, request.traceId)
  const send = one('send receipts')
  const process = one('process receipts')
  assert.equal(send.kind, PRODUCER)
  assert.equal(send.parentSpanId, request.spanId)
  assert.equal(send.attributes['messaging.system'], 'bullmq')
  assert.equal(send.attributes['messaging.message.id'], process.attributes['messaging.message.id'])
  assert.equal(process.kind, CONSUMER)
  assert.equal(process.resource['service.name'], 'receipts-worker')
  assert.equal(process.parentSpanId, send.spanId, 'the CONSUMER span is a child of the PRODUCER span')
  assert.deepEqual(process.links.map((l) => l.spanId), [send.spanId])
  assert.ok(process.attributes['queue.wait_time_ms'] >= 0, 'the queue wait is recorded')
  assert.equal(one('receipt.render').parentSpanId, process.spanId)
  const update = one('pg.query:UPDATE postgres')
  assert.equal(update.parentSpanId, process.spanId, "the job's own pg query sits under the CONSUMER span")
  assert.equal(update.attributes['db.query.text'], 'UPDATE orders SET status = ? WHERE id = $1')
  const insert = one('pg.query:INSERT postgres')
  assert.equal(insert.parentSpanId, request.spanId)
  assert.equal(insert.attributes['db.query.text'], 'INSERT INTO orders VALUES ($1, ?, $2) ON CONFLICT (id) DO NOTHING')
  const add = one('evalsha', (s) => s.parentSpanId === send.spanId)
  assert.match(add.attributes['db.query.text'], /^evalsha( \?)+$/, 'the job added by EVALSHA: no argument as text')
  for (const span of spans) {
    if (span.parentSpanId !== '') assert.ok(spans.some((s) => s.spanId === span.parentSpanId), `${span.name}'s parent`)
  }
  const text = everything(receiver)
  for (const value of [...PAYLOAD, ...LITERALS]) {
    assert.ok(!text.some((v) => v.includes(value)), `${value} is in a span: ${text.find((v) => v.includes(value))}`)
  }
})

test('the sanitizer switched off: statements as the instrumentations recorded them', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const env = { OTEL_INSTRUMENTATION_COMMON_DB_STATEMENT_SANITIZER_ENABLED: 'false' }
  const { app, worker, url } = await startBoth(t, receiver, { files: EXAMPLES, env })
  await fetch(`${url}/orders/ord-raw`, { method: 'POST' })
  const request = await requestTrace(receiver, '/orders/ord-raw', ['pg.query:UPDATE postgres', 'evalsha'])
  await Promise.all([stop(app), stop(worker)])
  const { one } = traceOf(receiver, request.traceId)
  const send = one('send receipts')
  // What the issue found: the whole job (msgpack-encoded) in the EVALSHA span's statement.
  assert.ok(one('evalsha', (s) => s.parentSpanId === send.spanId).attributes['db.query.text'].includes(PAYLOAD[0]))
  assert.match(one('pg.query:INSERT postgres').attributes['db.query.text'], /'paid'/)
})

test('with bullmq-otel: the job spans sit under BullMQ\'s CONSUMER span, and there is only that one', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const { app, worker, url } = await startBoth(t, receiver, { files: FIXTURES, env: { BULLMQ_OTEL: '1' } })
  await fetch(`${url}/orders/ord-otel`, { method: 'POST' })
  const request = await requestTrace(receiver, '/orders/ord-otel', ['receipt.render', 'pg.query:UPDATE postgres'])
  await Promise.all([stop(app), stop(worker)])
  const { one, spans } = traceOf(receiver, request.traceId)
  const consumers = spans.filter((s) => s.kind === CONSUMER)
  assert.equal(consumers.length, 1, `one CONSUMER span: ${consumers.map((s) => `${s.name} (${s.scope.name})`)}`)
  const bullConsumer = consumers[0]
  assert.equal(bullConsumer.scope.name, 'receipts-worker', "BullMQ's own span (its tracer)")
  const bullProducer = one('add receipts.receipt')
  assert.equal(bullProducer.kind, PRODUCER)
  assert.equal(bullProducer.parentSpanId, one('send receipts').spanId, "BullMQ's PRODUCER span under ours")
  assert.equal(bullConsumer.parentSpanId, bullProducer.spanId)
  assert.equal(one('receipt.render').parentSpanId, bullConsumer.spanId, 'under, not beside')
  assert.equal(one('pg.query:UPDATE postgres').parentSpanId, bullConsumer.spanId)
  const text = everything(receiver)
  for (const value of [...PAYLOAD, ...LITERALS]) assert.ok(!text.some((v) => v.includes(value)), `${value} in a span`)
})

test('a failing job: each attempt a CONSUMER span with the failure, under the one producer', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  // The worker holds its spans (the default 5 s schedule): what the job made reaches the collector
  // through the flush at SIGTERM.
  const { app, worker, url } = await startBoth(t, receiver, {
    files: FIXTURES,
    workerEnv: { OTEL_BSP_SCHEDULE_DELAY: '5000' }
  })
  await fetch(`${url}/orders/fail-1`, { method: 'POST' })
  await worker.waitFor(/failed attempt 2/)
  await Promise.all([stop(app), stop(worker)])
  const request = await requestTrace(receiver, '/orders/fail-1', ['process receipts'])
  const { one, spans } = traceOf(receiver, request.traceId)
  const send = one('send receipts')
  const attempts = spans.filter((s) => s.name === 'process receipts')
  assert.equal(attempts.length, 2)
  for (const attempt of attempts) {
    assert.equal(attempt.parentSpanId, send.spanId)
    assert.equal(attempt.status.code, ERROR)
    assert.equal(attempt.attributes['error.type'], 'CardDeclinedError')
    const exception = attempt.events.find((e) => e.name === 'exception')
    assert.equal(exception?.attributes['exception.message'], 'card declined for fail-1')
    assert.equal(spans.filter((s) => s.name === 'receipt.render' && s.parentSpanId === attempt.spanId).length, 1)
  }
})

test('Redis goes away: the failed send recorded, the books balanced, the worker\'s held spans flushed', async (t) => {
  const receiver = await OtlpReceiver.start()
  t.after(() => receiver.stop())
  const ownRedis = await startRedis(t) // this one is crashed
  const env = { REDIS_URL: ownRedis.url }
  const { app, worker, url } = await startBoth(t, receiver, {
    files: FIXTURES,
    env,
    workerEnv: { OTEL_BSP_SCHEDULE_DELAY: '60000' }
  })
  await fetch(`${url}/orders/ord-before`, { method: 'POST' })
  await worker.waitFor(/completed/)
  await ownRedis.stop({ crash: true })

  const failed = await fetch(`${url}/orders/ord-after`, { method: 'POST' })
  assert.equal(failed.status, 500)
  const request = await requestTrace(receiver, '/orders/ord-after', ['send receipts'])
  const send = traceOf(receiver, request.traceId).one('send receipts')
  assert.equal(send.status.code, ERROR)
  assert.ok(send.attributes['error.type'] !== undefined)
  const stats = await (await fetch(`${url}/stats`)).json()
  assert.equal(stats.dropped + stats.failed, 0)
  assert.equal(stats.created, stats.exported + stats.queued, JSON.stringify(stats))

  // The worker cannot reach Redis to close; the spans of the job it ran, held for a minute by its
  // schedule, are flushed on SIGTERM all the same.
  worker.child.kill('SIGTERM')
  const before = await requestTrace(receiver, '/orders/ord-before', ['process receipts', 'pg.query:UPDATE postgres'])
  const job = traceOf(receiver, before.traceId)
  assert.equal(job.one('process receipts').parentSpanId, job.one('send receipts').spanId)
  await stop(app)
})
