// `npm start`: the demo service, its embedded receiver and the waterfall, as a newcomer runs it.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

const demo = fileURLToPath(new URL('../../dist/demo/main.js', import.meta.url))
const run = promisify(execFile)
const cleanEnv = () => {
  const env = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith('OTEL_')) delete env[key]
  return env
}

test(
  'the demo sends W3C, B3 and failing requests and prints every trace as a waterfall with its log lines under it',
  { timeout: 60_000 },
  async () => {
    const { stdout } = await run(process.execPath, [demo], { env: cleanEnv() })
    assert.match(stdout, /exporting over http\/protobuf to http:\/\/127\.0\.0\.1:\d+\/v1\/traces, an embedded receiver/)
    // 19 spans of the service's own, plus the entitlement hook's in each trace (slow by design and
    // covered by no other span; the handler is slow too, but its own child spans cover it); a busy
    // machine may make a phase slow too.
    const [, received, exported] = /received 3 traces, (\d+) spans \(exported (\d+), dropped 0, failed 0\)/.exec(stdout)
    assert.equal(received, exported)
    assert.ok(Number(received) >= 22, `${received} spans`)
    assert.match(stdout, /and 18 log records \(exported 18, dropped 0, failed 0\)/)
    const traces = stdout.split('\ntrace ').slice(1)
    assert.equal(traces.length, 3)
    // Two requests continue an upstream caller (W3C, then B3); the failing one starts its own trace.
    assert.equal(traces.filter((t) => t.includes("continues the caller's span")).length, 2)
    for (const trace of traces.slice(0, 2)) {
      for (const name of [
        'POST /refunds/:orderId',
        'refund.process',
        'worker.dispatch receipt-worker',
        'worker.task receipt-worker',
        'receipt.render',
        'receipt.sign',
        'ledger.record'
      ]) {
        assert.ok(trace.includes(name), `${name} missing from a waterfall`)
      }
      assert.match(trace, /child spans account for \d+% of POST \/refunds\/:orderId/)
      // The refund route hides most of its time in its entitlement hook: the trace names it.
      assert.match(trace, /├─ preHandler - checkEntitlements +INTERNAL/)
      assert.match(trace, /\d+ % of it \(\d+ ms\) is not covered by any span; where it went: preHandler - checkEntitlements \d+ ms/)
      // The trace's log lines, each under the span it was written in.
      const logs = trace.slice(trace.indexOf('  log records\n'))
      assert.match(logs, /INFO +refund requested +\[POST \/refunds\/:orderId\] +orderId=ord-\d+ amount=/)
      // Written in the worker thread, through the Logs API: under the worker's span.
      assert.match(logs, /INFO +receipt signed +\[receipt\.render\] +receiptId=rcpt-\w+ thread\.id=\d+/)
      assert.match(logs, /INFO +refund recorded in the ledger +\[ledger\.record\] +orderId=ord-\d+ receiptId=rcpt-/)
      assert.match(logs, /INFO +request completed +\[POST \/refunds\/:orderId\] +responseTime=/)
    }
    const failing = traces[2]
    assert.match(failing, /refund\.process\s+INTERNAL.*ERROR Gateway timeout/)
    assert.match(failing, /POST \/refunds\/:orderId\s+SERVER.*ERROR/)
    assert.match(failing, /CLIENT.*ERROR/)
    assert.match(failing, /WARN +payment gateway did not answer in time; refund not issued +\[refund\.process\]/)
    assert.match(
      failing,
      /ERROR +payment gateway did not answer for order ord-1009 +\[POST \/refunds\/:orderId\] +exception\.type=GatewayTimeoutError/
    )
    assert.match(
      stdout,
      /6 log records outside any trace: "Server listening at http:\/\/127\.0\.0\.1:\d+", "incoming request" x4, "request completed"\n/
    )
    // And the route summary names it too.
    assert.match(
      stdout,
      /\n {2}POST \/refunds\/:orderId: \d+ % of \d+ ms is not covered by any span; slowest hook preHandler - checkEntitlements \d+ ms/
    )
  }
)

test(
  'with OTEL_EXPORTER_OTLP_ENDPOINT set, the demo exports to that collector and says so',
  { timeout: 60_000 },
  async (t) => {
    const collector = await OtlpReceiver.start()
    t.after(() => collector.stop())
    const { stdout } = await run(process.execPath, [demo], {
      env: { ...cleanEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint }
    })
    assert.ok(
      stdout.includes(`exporting over http/protobuf to ${collector.httpEndpoint}/v1/traces (from the environment)`),
      stdout
    )
    const [, sent] = /sent (\d+) spans and 18 log records to/.exec(stdout)
    assert.ok(Number(sent) >= 22, `${sent} spans`)
    assert.equal(collector.spans.length, Number(sent))
    assert.match(stdout, /POST \/refunds\/:orderId: \d+ % of \d+ ms is not covered by any span; slowest hook preHandler/)
    assert.equal(collector.logs.length, 18)
    assert.equal(collector.traces().size, 3)
  }
)
