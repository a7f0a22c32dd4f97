// The receiver's gRPC flow-control window: HTTP/2's default unless asked, and the window asked
// for (as a collector's grpc-go server grows its own) on the connection and on every stream,
// as an HTTP/2 client sees them. The benchmarks' receiver depends on it (bench/lib/receiver-process.mjs).
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:http2'
import { test } from 'node:test'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

/** The windows the receiver grants a client: per stream (its SETTINGS) and for the connection. */
async function grantedWindows (receiver) {
  const session = connect(receiver.endpoint)
  try {
    await once(session, 'connect')
    // Frames the receiver sent before it acknowledges a PING (its SETTINGS, a WINDOW_UPDATE) have
    // been read when the acknowledgement arrives.
    await new Promise((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())))
    return { stream: session.remoteSettings.initialWindowSize, connection: session.state.remoteWindowSize }
  } finally {
    session.destroy()
  }
}

test("by default the receiver keeps HTTP/2's window of 65,535 bytes", async (t) => {
  const receiver = await OtlpReceiver.start({})
  t.after(() => receiver.stop())
  assert.deepEqual(await grantedWindows(receiver), { stream: 65535, connection: 65535 })
})

test('grpcFlowControlWindowBytes: the connection and every stream get that window', async (t) => {
  const bytes = 4 * 1024 * 1024
  const receiver = await OtlpReceiver.start({ grpcFlowControlWindowBytes: bytes })
  t.after(() => receiver.stop())
  assert.deepEqual(await grantedWindows(receiver), { stream: bytes, connection: bytes })
})

test('a window HTTP/2 cannot grant is refused when the receiver starts, with the bounds', async () => {
  for (const bytes of [1024, 2 ** 31, 1.5e6 + 0.5]) {
    await assert.rejects(OtlpReceiver.start({ grpcFlowControlWindowBytes: bytes }), {
      name: 'RangeError',
      message: /from 65535 to 2147483647/
    })
  }
})
