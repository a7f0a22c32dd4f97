// The export notices of a queue (sdk/assembly/pipeline-warnings.ts): an outage the retries see is
// said when it begins and when it ends, with the collector named (no credential in its URL), and a
// collector that flaps is not said again within a minute of the last outage's end.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { spanPipelineWarnings } from '../../dist/sdk/assembly/pipeline-warnings.js'

const setting = (value) => ({ value, source: 'default' })
const CONFIG = {
  batch: { maxQueueSize: setting(2048), maxQueueBytes: setting(16 * 1024 * 1024) },
  exporter: { kind: setting('otlp'), endpoint: setting('https://user:pw@collector.example.com/v1/traces') }
}

function notices (t) {
  let now = 0
  t.mock.method(performance, 'now', () => now)
  const said = []
  const events = spanPipelineWarnings({ warn: (code, message) => said.push([code, message]) }, CONFIG)
  t.after(() => events.close())
  return { retries: events.retries, events, said, at: (millis) => { now = millis } }
}

test('a queue that fills during an outage says so, not to raise maxQueueSize; once exports succeed, a full ' +
  'queue gets the sizing advice again', (t) => {
  const { retries, events, said } = notices(t)
  retries.onRetrying('connect ECONNREFUSED', 60_000)
  events.onDrop(1, 'queue-full')
  retries.onRecovered(20_000, false)
  // The first of each window is said at once; close() says the rest.
  events.onDrop(2, 'queue-full')
  events.close()
  const drops = said.filter(([code]) => code === 'FOK_WARN_SPANS_DROPPED').map(([, message]) => message)
  assert.equal(drops.length, 2, drops.join('\n'))
  assert.match(drops[0], /^dropped 1 span\(s\) because the export queue filled while exports to the collector at https:\/\/\[REDACTED\]@collector\.example\.com\/v1\/traces are failing and being retried: .* a larger queue only delays the drops/)
  assert.doesNotMatch(drops[0], /Raise maxQueueSize/)
  assert.match(drops[1], /^dropped 1 span\(s\) because the export queue is full \(batch\.maxQueueSize 2048\)\. Raise maxQueueSize/)
})

test("an outage's beginning and end are said, naming the collector without its credentials", (t) => {
  const { retries, said, at } = notices(t)
  retries.onRetrying('connect ECONNREFUSED', 60_000)
  at(12_300)
  retries.onRecovered(12_300, false)
  assert.deepEqual(said.map(([code]) => code), ['FOK_WARN_EXPORT_RETRYING', 'FOK_WARN_EXPORT_RECOVERED'])
  assert.match(said[0][1], /^exports of spans to the collector at https:\/\/\[REDACTED\]@collector\.example\.com/)
  assert.match(said[0][1], /are failing \(connect ECONNREFUSED\) and are being retried, each batch for up to 60 s/)
  assert.match(said[1][1], /succeed again, after 12\.3 s of failures; no batch ran out of retries meanwhile\.$/)
  assert.ok(!said.some(([, message]) => message.includes('pw')))
})

test('an outage beginning within a minute of the last one\'s end is not said, nor its end; after that it is', (t) => {
  const { retries, said, at } = notices(t)
  retries.onRetrying('unavailable', 60_000)
  at(1000)
  retries.onRecovered(1000, false)
  at(30_000)
  retries.onRetrying('unavailable', 60_000)
  at(31_000)
  retries.onRecovered(1000, true)
  assert.equal(said.length, 2, said.join('\n'))
  at(100_000)
  retries.onRetrying('unavailable', 60_000)
  at(102_000)
  retries.onRecovered(2000, true)
  assert.equal(said.length, 4)
  assert.match(said[3][1], /some batches ran out of retries meanwhile \(FOK_WARN_EXPORT_FAILED counted them\)\.$/)
})
