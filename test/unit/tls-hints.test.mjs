// The hints an OTLP/HTTP export failure gets when TLS is what failed, from the errors Node really
// gives against real TLS servers on loopback: TLS 1.2 (where every alert is EPROTO) and 1.3.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { createServer as createPlainServer } from 'node:net'
import { once } from 'node:events'
import { createServer } from 'node:tls'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { networkErrorHint } from '../../dist/sdk/export/http/http-status.js'
import { tlsHintFromText } from '../../dist/sdk/export/tls-hints.js'

const pem = (name) => readFileSync(fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url)))

/** A TLS server on loopback (closed after the test); resolves with its port. */
async function tlsServer (t, options) {
  const server = createServer({ cert: pem('server.pem'), key: pem('server.key'), ...options }, (socket) => {
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n')
  })
  server.on('tlsClientError', () => {})
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  return server.address().port
}

/** The error of one HTTPS request to `port` with the client's TLS `options`. */
function failure (port, options) {
  return new Promise((resolve) => {
    const target = { host: '127.0.0.1', port, servername: 'localhost', method: 'POST', path: '/v1/traces' }
    const req = request({ ...target, ...options })
    req.on('response', (res) => {
      res.resume()
      res.on('end', () => resolve(undefined))
    })
    req.on('error', resolve)
    req.end('x')
  })
}

for (const version of ['TLSv1.2', 'TLSv1.3']) {
  test(`${version}: a collector that requires a client certificate, none given`, async (t) => {
    const mutual = { requestCert: true, rejectUnauthorized: true, ca: pem('ca.pem') }
    const port = await tlsServer(t, { minVersion: version, maxVersion: version, ...mutual })
    const error = await failure(port, { ca: pem('ca.pem') })
    assert.ok(error, 'the request failed')
    const hint = networkErrorHint(error, { ca: 'ca' })
    assert.match(hint, /requires a client certificate \(mutual TLS\)/, `${error.code} ${error.message}`)
  })
}

test('https to a plaintext port: not TLS, whatever the code (EPROTO or ERR_SSL_*)', async (t) => {
  const server = createPlainServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const error = await failure(server.address().port, {})
  assert.match(networkErrorHint(error, {}), /does not speak TLS: use http:\/\//, `${error.code} ${error.message}`)
})

test('a CA file named that does not verify the collector; none named', async (t) => {
  const port = await tlsServer(t, {})
  const wrongCa = await failure(port, { ca: pem('client.pem') })
  assert.match(networkErrorHint(wrongCa, { ca: 'ca' }), /does not verify against the CA file named/)
  const noCa = await failure(port, {})
  assert.match(networkErrorHint(noCa, {}), /is not trusted: name its CA/)
})

test('a client certificate refused, in the words OpenSSL-based collectors alert with (a Node server only ' +
  'drops the connection, so the text is given here)', () => {
  const tls12 = 'write EPROTO 40E8F5F7:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:' +
    '../deps/openssl/openssl/ssl/record/rec_layer_s3.c:916:SSL alert number 48'
  const refusedError = Object.assign(new Error(tls12), { code: 'EPROTO' })
  assert.match(networkErrorHint(refusedError, { ca: 'ca', cert: 'cert' }), /refused the client certificate/)
  assert.match(tlsHintFromText('sslv3 alert bad certificate', { cert: 'cert' }), /refused the client certificate/)
  // Without a client certificate the same alert says nothing of one.
  assert.equal(tlsHintFromText(tls12, {}), undefined)
})
