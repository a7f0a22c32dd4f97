// No credential in any output, at every log level: the exporter's headers from the environment and
// from the options, spans and log records exported, exports that succeed and exports that fail,
// Fastify's logger on (everything at trace) and off (process warnings and diagnostics on stderr).
// Diagnostics describe spans and errors, never serialise them (a span's object graph reaches the
// transport's metadata).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const app = fileURLToPath(new URL('../fixtures/credential-leak-app.mjs', import.meta.url))
const SECRET = 'Bearer tok-9f83-SECRET-c1d2'

function run (logger) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [app, logger, SECRET],
      { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stdout, stderr }))
        else resolve({ stdout, stderr })
      }
    )
  })
}

for (const logger of ['on', 'off']) {
  test(
    `Fastify's logger ${logger}: the secret appears nowhere, at any OTEL_LOG_LEVEL`,
    { timeout: 90_000 },
    async () => {
      const { stdout, stderr } = await run(logger)
      // The scenario really ran: spans (and, with the logger on, log records) were accepted with
      // the secret and refused without it.
      const [, records, rejected] = stdout.match(/exported 42 spans and (\d+) log records, rejected (\d+)/)
      if (logger === 'on') {
        assert.ok(Number(records) > 0, 'log records were exported')
        assert.equal(Number(rejected), 28)
      } else {
        assert.equal(Number(rejected), 14)
      }
      // And diagnostics were produced at the verbose levels (so there was something to leak): the
      // batches described by size (spans over OTLP protobuf are queued already encoded).
      assert.match(stdout + stderr, /items to be sent \[(\d+ span\(s\)|array of \d+)\]/)
      for (const fragment of ['tok-9f83', 'SECRET-c1d2', encodeURIComponent(SECRET)]) {
        assert.ok(!stdout.includes(fragment), `stdout contains ${fragment}`)
        assert.ok(!stderr.includes(fragment), `stderr contains ${fragment}`)
      }
    }
  )
}
