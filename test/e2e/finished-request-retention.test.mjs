// A context outlives its request wherever an async resource captured it (a keep-alive socket, an
// emitter instrumentation-http bound): it must not keep the finished request's objects alive.
// Holding them made every young-generation collection of the preload's server copy them
// (plugin/request-coverage.ts). Measured in a child process with --expose-gc
// (test/fixtures/finished-request-retention.mjs).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const script = fileURLToPath(new URL('../fixtures/finished-request-retention.mjs', import.meta.url))

async function retained (lifecycleSpans) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', script, lifecycleSpans, '20'], {
    encoding: 'utf8',
    timeout: 60_000
  })
  return JSON.parse(stdout)
}

for (const mode of ['off', 'slow', 'all']) {
  test(`lifecycleSpans '${mode}': 20 contexts kept after their requests keep none of the requests alive`, async () => {
    assert.deepEqual(await retained(mode), { requests: 20, alive: 0, contextsKept: 20 })
  })
}
