// The load generator, in its own process (pinned by the driver to the other core).
//   node bench/http/load.mjs <url> <connections> <seconds> [headers-json] [warmup-seconds]
// A warm-up, if asked for, runs first and is not reported: then it prints {"warmed": true} and
// waits for a line on stdin (the driver reads the server's CPU counter in between). Prints
// autocannon's result as {"rps": mean req/s, "total": requests, "p99": ms, "errors": n, "non2xx": n}.
import autocannon from 'autocannon'
import { createInterface } from 'node:readline'

const [url, connections, seconds, headers = '{}', warmup = '0'] = process.argv.slice(2)
if (Number(warmup) > 0) {
  await autocannon({
    url,
    connections: Number(connections),
    duration: Number(warmup),
    pipelining: 1,
    headers: JSON.parse(headers)
  })
  process.stdout.write(`${JSON.stringify({ warmed: true })}\n`)
  await createInterface({ input: process.stdin })[Symbol.asyncIterator]().next()
}
const result = await autocannon({
  url,
  connections: Number(connections),
  duration: Number(seconds),
  pipelining: 1,
  headers: JSON.parse(headers)
})
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx
  })}\n`
)
