// FOK_WARN_SHUTDOWN_ABANDONED at the shutdown bound: what was left, and why; and when nothing of the
// spans or records was left, that (the time went to the metrics' last export or the app's close),
// rather than "0 span(s) and 0 log record(s) could not be exported".
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { finalAccounting } from '../../dist/sdk/assembly/final-accounting.js'

function pipelineWith ({ spans, logRecords, metrics = true }) {
  return {
    pending: spans + logRecords,
    pendingReason: () => (spans > 0 ? 'the last export attempt failed: 503' : undefined),
    abandon: () => ({ spans, logRecords }),
    warnings: { close () {} },
    logs: {},
    metrics: metrics ? {} : undefined
  }
}

function warned (pipeline) {
  const said = []
  const warnings = { warn: (code, message) => said.push(`${code} ${message}`) }
  finalAccounting(pipeline, warnings, { reason: 'signal', timeoutMillis: 5000, boundHit: true })
  return said
}

test('something left: counted, with the reason', () => {
  assert.deepEqual(warned(pipelineWith({ spans: 2, logRecords: 1 })), [
    'FOK_WARN_SHUTDOWN_ABANDONED shutdown did not finish within shutdownTimeoutMillis (5000 ms): 2 span(s) and ' +
      '1 log record(s) could not be exported and are counted as failed (the last export attempt failed: 503).'
  ])
})

test('nothing of the spans or records left: said so, and where the metrics are', () => {
  assert.deepEqual(warned(pipelineWith({ spans: 0, logRecords: 0 })), [
    'FOK_WARN_SHUTDOWN_ABANDONED shutdown did not finish within shutdownTimeoutMillis (5000 ms): no span or log ' +
      'record was left unexported; metrics not exported in time are in their own warning.'
  ])
  assert.match(warned(pipelineWith({ spans: 0, logRecords: 0, metrics: false }))[0], /was left unexported\.$/)
})
