// Sensitive query values: redacted by default in url.query (SERVER span) and url.full (CLIENT
// span), whatever the key's case or percent-encoding; redactQueryParams adds keys the same way.
import { SpanKind } from '@opentelemetry/api'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { once } from 'node:events'
import { test } from 'node:test'
import { tracedApp } from '../helpers.mjs'

const SEMCONV_KEYS = [
  'sig',
  'Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  'AWSAccessKeyId',
  'X-Goog-Signature'
]
const SECRET_KEYS = [
  'token',
  'access_token',
  'api_key',
  'apikey',
  'password',
  'secret',
  'client_secret',
  'code',
  'id_token',
  'refresh_token'
]

/** Every default key in three spellings: as listed, upper case, and with mixed case. */
const spellings = [...SEMCONV_KEYS, ...SECRET_KEYS].flatMap((key) => [key, key.toUpperCase(), mixedCase(key)])

function mixedCase (key) {
  return [...key].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join('')
}

async function downstream (t) {
  const server = createServer((req, res) => res.end('ok'))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  return `http://127.0.0.1:${server.address().port}`
}

test('url.query: every default key is redacted whatever its case; other keys are kept as received', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  app.get('/q', async () => 'ok')
  const query = spellings.map((key, i) => `${key}=secret-${i}`).join('&') + '&Page=2&tokenizer=x&codes=y'
  await app.inject({ url: `/q?${query}` })
  const recorded = (await spanNamed('GET /q')).attributes['url.query']
  assert.doesNotMatch(recorded, /secret-/)
  assert.equal(recorded, spellings.map((key) => `${key}=REDACTED`).join('&') + '&Page=2&tokenizer=x&codes=y')
})

test('percent-encoded keys are decoded before matching; a key without a value and empty members stay ' +
  'as they are', async (t) => {
  const { app, spanNamed } = await tracedApp(t)
  app.get('/q', async () => 'ok')
  await app.inject({ url: '/q?api%5Fkey=k1&%41ccess_Token=k2&token&&code=&bad%ZZ=keep&id=1' })
  assert.equal(
    (await spanNamed('GET /q')).attributes['url.query'],
    'api%5Fkey=REDACTED&%41ccess_Token=REDACTED&token&&code=REDACTED&bad%ZZ=keep&id=1'
  )
})

test('redactQueryParams adds keys, matched case-insensitively; the defaults stay', async (t) => {
  const { app, spanNamed } = await tracedApp(t, { options: { redactQueryParams: ['Session', 'X-Tenant-Key'] } })
  app.get('/q', async () => 'ok')
  await app.inject({ url: '/q?SESSION=s1&x-tenant-key=s2&Password=s3&user=ann' })
  assert.equal(
    (await spanNamed('GET /q')).attributes['url.query'],
    'SESSION=REDACTED&x-tenant-key=REDACTED&Password=REDACTED&user=ann'
  )
})

test('no query string, no url.query; a long hostile query is still redacted', async (t) => {
  const { app, spans } = await tracedApp(t)
  app.get('/q', async () => 'ok')
  await app.inject({ url: '/q' })
  await app.inject({ url: '/q?' })
  // Under 4096 characters, so that no attribute length limit cuts it.
  const hostile = 'a&'.repeat(1000) + 'x'.repeat(500) + '&TOKEN=t&' + '=&'.repeat(500)
  await app.inject({ url: `/q?${hostile}` })
  const [plain, empty, long] = await spans()
  assert.equal(plain.attributes['url.query'], undefined)
  assert.equal(empty.attributes['url.query'], undefined)
  assert.equal(long.attributes['url.query'], hostile.replace('TOKEN=t', 'TOKEN=REDACTED'))
})

test('url.full of CLIENT spans (request.otel.fetch and request.otel.outbound): the same keys redacted, ' +
  'credentials too', async (t) => {
  const down = await downstream(t)
  const { app, spans } = await tracedApp(t, { options: { redactQueryParams: ['Session'] } })
  app.get('/out', async (request) => {
    await (await request.otel.fetch(`${down}/a?Access_Token=t1&X-AMZ-SIGNATURE=s&id=3`)).text()
    await request.otel.outbound({ url: 'http://user:pw@127.0.0.1:9/b?session=s2&ApiKey=k&page=1' }, async () => ({
      status: 200
    }))
    return 'ok'
  })
  await app.inject({ url: '/out' })
  const clients = (await spans()).filter((s) => s.kind === SpanKind.CLIENT).map((s) => s.attributes['url.full'])
  assert.deepEqual(clients, [
    `${down}/a?Access_Token=REDACTED&X-AMZ-SIGNATURE=REDACTED&id=3`,
    'http://REDACTED:REDACTED@127.0.0.1:9/b?session=REDACTED&ApiKey=REDACTED&page=1'
  ])
})

test('spans made by others (instrumentations, the application) are redacted before export: ' +
  'url.full (credentials, query, fragment), url.query, http.url, http.target', async (t) => {
  const { app, spans } = await tracedApp(t, { options: { redactQueryParams: ['Session'] } })
  const secrets = 'API_KEY=k1&Session=s1&page=2'
  const redacted = 'API_KEY=REDACTED&Session=REDACTED&page=2'
  app.otel.tracer
    .startSpan('client', {
      kind: SpanKind.CLIENT,
      attributes: {
        'url.full': `https://user:pw@psp.example/charge?${secrets}#access_token=t&state=x`,
        // instrumentation-undici keeps URL.search's leading '?'.
        'url.query': `?${secrets}`,
        'http.url': `http://psp.example/charge?${secrets}`,
        'http.target': `/charge?${secrets}`,
        'url.path': '/charge'
      }
    })
    .end()
  app.otel.tracer.startSpan('server', { kind: SpanKind.SERVER, attributes: { 'url.query': secrets } }).end()
  const [client, server] = await spans()
  assert.deepEqual(client.attributes, {
    'url.full': `https://REDACTED:REDACTED@psp.example/charge?${redacted}#access_token=REDACTED&state=x`,
    'url.query': `?${redacted}`,
    'http.url': `http://psp.example/charge?${redacted}`,
    'http.target': `/charge?${redacted}`,
    'url.path': '/charge'
  })
  assert.equal(server.attributes['url.query'], redacted)
})
