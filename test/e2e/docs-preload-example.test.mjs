// The preload guide's example (docs/guides/preload.md, "With the plugin"), run as written: the
// code block is copied into an application directory of its own and started with
// `--import fastify-otel-kit/register`, as a reader would start it. Its request and its fetch
// reach a real OTLP receiver as one trace; a line missing from the block (an import) fails here.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import { root } from '../docs-sync.mjs'
import { OtlpReceiver } from '../../dist/receiver/otlp-receiver.js'

const SERVER = 2
const CLIENT = 3

/** The first js code block after `heading` in a guide. */
function exampleAfter (guide, heading) {
  const text = readFileSync(join(root, guide), 'utf8')
  const from = text.indexOf(`\n${heading}\n`)
  assert.ok(from !== -1, `${heading} in ${guide}`)
  const block = /```js\n([\s\S]*?)```/.exec(text.slice(from))
  assert.ok(block, `a js block after ${heading}`)
  return block[1]
}

/** A directory holding `code` as app.mjs, with the package and Fastify installed as a user has them. */
function applicationDirectory (t, code) {
  const dir = mkdtempSync(join(tmpdir(), 'fok-docs-example-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(root, join(dir, 'node_modules', 'fastify-otel-kit'), 'dir')
  symlinkSync(join(root, 'node_modules', 'fastify'), join(dir, 'node_modules', 'fastify'), 'dir')
  writeFileSync(join(dir, 'app.mjs'), code)
  return dir
}

test("the preload guide's example with the plugin runs as written: the request and its fetch in one trace",
  { timeout: 60_000 }, async (t) => {
    const receiver = await OtlpReceiver.start()
    t.after(() => receiver.stop())
    const dir = applicationDirectory(t, exampleAfter('docs/guides/preload.md', '## With the plugin'))
    const child = spawn(process.execPath, ['--import', 'fastify-otel-kit/register', 'app.mjs'], {
      cwd: dir,
      env: {
        ...process.env,
        PORT: '0',
        OTEL_SERVICE_NAME: 'checkout',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint
      },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const exited = once(child, 'exit')
    t.after(() => child.kill('SIGKILL'))
    // Fastify's logger says where it listens.
    let address
    for await (const line of createInterface({ input: child.stdout })) {
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1]
      if (url !== undefined) {
        address = url
        break
      }
    }
    assert.ok(address, `the example did not start:\n${stderr}`)

    const response = await fetch(`${address}/checkout`, { method: 'POST' })
    assert.deepEqual(await response.json(), { authorized: true })
    child.kill('SIGTERM')
    const [code] = await exited
    assert.equal(code, 0, stderr)

    const spans = await receiver.waitFor((all) => all.some((s) => s.kind === CLIENT))
    const server = spans.find((s) => s.kind === SERVER && s.name === 'POST /checkout')
    assert.ok(server, JSON.stringify(spans.map((s) => [s.name, s.kind])))
    const client = spans.find((s) => s.kind === CLIENT)
    assert.equal(client.traceId, server.traceId)
    assert.equal(client.parentSpanId, server.spanId)
  })
