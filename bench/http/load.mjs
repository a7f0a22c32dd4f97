// The load generator, in its own process (pinned by the driver to the other core).
//   node bench/http/load.mjs <url> <connections> <seconds> [headers-json]
// Prints autocannon's result as {"rps": mean req/s, "p99": ms, "errors": n, "non2xx": n}.
import autocannon from 'autocannon'

const [url, connections, seconds, headers = '{}'] = process.argv.slice(2)
const result = await autocannon({
  url,
  connections: Number(connections),
  duration: Number(seconds),
  pipelining: 1,
  headers: JSON.parse(headers)
})
process.stdout.write(`${JSON.stringify({
  rps: result.requests.average,
  total: result.requests.total,
  p99: result.latency.p99,
  errors: result.errors + result.timeouts,
  non2xx: result.non2xx
})}\n`)
