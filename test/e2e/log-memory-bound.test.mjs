// Log lines with long messages while the collector is down: the log queue holds at most its byte
// bound (logs.batch.maxQueueBytes, 16 MiB by default) and bodies are cut (logs.bodyLengthLimit),
// measured on the heap of a child process (test/fixtures/log-body-memory.mjs: 2,000 lines with a
// 60 KB message each, the collector's port refusing connections), once the first batch has been
// retried. Besides the queue, the batch being retried is held as its request body (its encoded
// copy): at most one batch more, so the memory held stays within twice the bound. The control,
// with both limits lifted, holds what the lines weigh: more than 100 MB.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const script = fileURLToPath(new URL('../fixtures/log-body-memory.mjs', import.meta.url))
const MIB = 1024 * 1024

async function measure (logs = {}) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', script, '2000', '60', JSON.stringify(logs)],
    { encoding: 'utf8', timeout: 60_000 }
  )
  return JSON.parse(stdout)
}

test('2,000 lines of 60 KB with the collector down: the log queue holds about its 16 MiB byte bound', async () => {
  const { retainedBytes, logs } = await measure()
  assert.equal(logs.created, 2000)
  assert.ok(logs.dropped > 0, 'the byte bound dropped lines')
  assert.equal(logs.queued + logs.dropped + logs.failed, 2000)
  // Each record as queued: its body cut at 16384 characters, about 16 KB.
  assert.ok(logs.queued < (16 * MIB) / 16_000, `${logs.queued} records queued`)
  assert.ok(logs.retries >= 2, 'measured after a retry')
  assert.ok(retainedBytes <= 1.1 * 2 * 16 * MIB, `retained ${(retainedBytes / MIB).toFixed(1)} MiB`)
})

test('a smaller bound is kept too: 4 MB', async () => {
  const { retainedBytes, logs } = await measure({ batch: { maxQueueBytes: 4_000_000 } })
  assert.ok(logs.dropped > 1500)
  assert.ok(retainedBytes <= 1.1 * 2 * 4_000_000, `retained ${(retainedBytes / MIB).toFixed(1)} MiB`)
})

test('the control: without the byte bound and the body cut, the same lines hold over 100 MB', async () => {
  const { retainedBytes, logs } = await measure({ bodyLengthLimit: 1_000_000, batch: { maxQueueBytes: 1e12 } })
  assert.equal(logs.dropped, 0)
  assert.ok(retainedBytes > 100 * MIB, `retained ${(retainedBytes / MIB).toFixed(1)} MiB`)
})
