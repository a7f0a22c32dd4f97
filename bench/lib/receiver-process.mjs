// The OTLP receiver (gRPC and HTTP) in its own process, counting spans and log records only
// (decoding them fully would make the receiver the bottleneck).
//   node bench/lib/receiver-process.mjs [grpc-window-bytes]
// The gRPC flow-control window is 4 MiB unless given; 0 keeps HTTP/2's default of 64 KiB. Prints
// {"endpoint", "httpEndpoint"} when listening; on stdin "count" prints {"spans": n, "logs": n},
// "reset" sets the counts to zero.
import { createInterface } from 'node:readline'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

// A collector's window, not HTTP/2's default 64 KiB (receiver-types.ts, grpcFlowControlWindowBytes).
const window = Number(process.argv[2] ?? 4 * 1024 * 1024)
if (!Number.isInteger(window) || window < 0) throw new Error(`receiver-process: not a window size: ${process.argv[2]}`)
const receiver = await OtlpReceiver.start({
  countOnly: true,
  ...(window > 0 ? { grpcFlowControlWindowBytes: window } : {})
})
process.stdout.write(`${JSON.stringify({ endpoint: receiver.endpoint, httpEndpoint: receiver.httpEndpoint })}\n`)
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  const command = line.trim()
  if (command === 'count') {
    process.stdout.write(`${JSON.stringify({ spans: receiver.spanCount, logs: receiver.logCount })}\n`)
  }
  if (command === 'reset') {
    receiver.spanCount = 0
    receiver.logCount = 0
  }
})
lines.on('close', async () => {
  await receiver.stop()
  process.exit(0)
})
