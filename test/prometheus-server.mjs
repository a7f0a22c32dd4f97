// A real Prometheus server for the tests: Debian's `prometheus` package (installed here when it is
// missing and the tests run as root, as CI does), started on a loopback port with a temporary
// configuration and storage, scraping the targets a test names every second.
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** Where the binary is, installing Debian's package when it is missing and we may; undefined if neither. */
export function prometheusBinary () {
  const found = which('prometheus')
  if (found !== undefined) return found
  if (process.getuid?.() !== 0 || which('apt-get') === undefined) return undefined
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], { env, stdio: 'ignore' })
  try {
    install()
  } catch {
    execFileSync('apt-get', ['update'], { env, stdio: 'ignore' })
    install()
  }
  return which('prometheus')
}

function which (name) {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/** A port nothing listens on now (Prometheus wants one in its command line; upstream's exporter too). */
export async function freePort () {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}

/**
 * Starts Prometheus scraping `targets` (`host:port`, path /metrics) every second; stopped after
 * the test. `query(promql)` is an instant query; `untilScraped()` resolves after a scrape of every
 * target that began after it was called.
 */
export async function startPrometheus (t, targets) {
  const binary = prometheusBinary()
  if (binary === undefined) return undefined
  const dir = mkdtempSync(join(tmpdir(), 'fok-prometheus-'))
  const config = join(dir, 'prometheus.yml')
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: service',
      '    static_configs:',
      `      - targets: [${targets.map((target) => JSON.stringify(target)).join(', ')}]`,
      ''
    ].join('\n')
  )
  const port = await freePort()
  const child = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn'
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  )
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  t.after(async () => {
    child.kill('SIGTERM')
    if (child.exitCode === null) await once(child, 'exit')
    rmSync(dir, { recursive: true, force: true })
  })
  const url = `http://127.0.0.1:${port}`
  const api = async (path) => {
    const response = await fetch(`${url}${path}`)
    const body = await response.json()
    if (body.status !== 'success') throw new Error(`${path}: ${JSON.stringify(body)}`)
    return body.data
  }
  // Prometheus has no event to wait for: its HTTP API is asked until it answers (or gives up).
  const poll = async (what, attempt, deadlineMillis = 30_000) => {
    const deadline = Date.now() + deadlineMillis
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${stderr}`)
      const value = await attempt().catch(() => undefined)
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`prometheus: ${what} did not happen within ${deadlineMillis} ms: ${stderr}`)
      await sleep(100)
    }
  }
  await poll('ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined))
  return {
    url,
    /** An instant query's result vector. */
    query: async (promql) => (await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)).result,
    /** Resolves once every target was scraped, successfully, after this call. */
    untilScraped: async () => {
      const since = Date.now()
      await poll('a scrape of every target', async () => {
        const { activeTargets } = await api('/api/v1/targets')
        const done = activeTargets.length === targets.length &&
          activeTargets.every((target) => target.health === 'up' && Date.parse(target.lastScrape) > since)
        return done ? activeTargets : undefined
      })
    }
  }
}
