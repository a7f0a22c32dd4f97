// A context outlives its request wherever an async resource made during the request keeps it (a
// timer, a pooled connection, a socket): it must not keep the finished request's objects alive,
// nor collect the spans started under it afterwards as the request's children.
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
  test(`lifecycleSpans '${mode}': 20 contexts kept after their requests keep none of the requests alive, ` +
    'nor the spans started under them later', async () => {
    assert.deepEqual(await retained(mode), { requests: 20, alive: 0, scoped: 20, lateSpansAlive: 0 })
  })
}
