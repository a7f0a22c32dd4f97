// Real Redis, PostgreSQL and Prometheus servers for the tests that need them: Debian's
// `redis-server`, `postgresql` and `prometheus` packages, each server started on 127.0.0.1 with a
// free port and its data in a temporary directory, stopped (and the directory removed) when the
// test is done.
//
// When a server's programs are missing, a test run as root installs them with apt-get (and says
// so); otherwise it fails with the command to run. Several test files may ask at once (node --test
// runs files in parallel), so the installation is done by one of them while the others wait.
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'

/** Debian's packages per server; Redis and PostgreSQL are installed together (the queue tests need both). */
const PACKAGES = {
  redis: ['redis-server', 'postgresql'],
  postgres: ['redis-server', 'postgresql'],
  prometheus: ['prometheus']
}
const installCommand = (server) =>
  `apt-get update && apt-get install -y --no-install-recommends ${PACKAGES[server].join(' ')}`

/** The first of `names` found on the PATH or in `dirs`, else undefined. */
function findProgram (names, dirs = []) {
  const path = (process.env.PATH ?? '').split(':').filter(Boolean)
  for (const dir of [...dirs, ...path, '/usr/bin', '/usr/sbin']) {
    for (const name of names) if (existsSync(join(dir, name))) return join(dir, name)
  }
  return undefined
}

/** PostgreSQL's server programs: Debian keeps them out of the PATH, one folder per major version. */
function postgresBinaries () {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
    : []
  const dirs = versions.map((v) => join(root, v, 'bin'))
  const initdb = findProgram(['initdb'], dirs)
  const postgres = findProgram(['postgres'], initdb === undefined ? dirs : [join(initdb, '..'), ...dirs])
  return initdb === undefined || postgres === undefined ? undefined : { initdb, postgres }
}

const programs = {
  redis: () => findProgram(['redis-server']),
  postgres: () => postgresBinaries(),
  prometheus: () => findProgram(['prometheus'])
}

/**
 * Makes sure the programs of `server` are installed: found, or installed with apt-get when this
 * process is root (one installer at a time, across processes), or an Error naming the command.
 */
async function ensureInstalled (server) {
  if (programs[server]() !== undefined) return
  const install = installCommand(server)
  if (typeof process.getuid !== 'function' || process.getuid() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error(
      `the ${server} tests need Debian's ${PACKAGES[server].join(' and ')} packages, which are not installed; ` +
        `install them first (as root: ${install})`
    )
  }
  await withInstallLock(() => {
    if (programs[server]() !== undefined) return // another test file installed them meanwhile
    process.stderr.write(`test/servers.mjs: ${server} is not installed; running as root: ${install}\n`)
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env })
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES[server]], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env
    })
  })
  if (programs[server]() === undefined) throw new Error(`${install} ran, but ${server}'s programs are still missing`)
}

/** Runs `fn` while holding a lock directory; another process holding it is waited for (up to 10 minutes). */
async function withInstallLock (fn) {
  const lock = join(tmpdir(), 'fastify-otel-kit-test-servers.lock')
  const deadline = Date.now() + 600_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      if (Date.now() > deadline) throw new Error(`another test process held ${lock} for 10 minutes`)
      // An installer in another process: nothing to await but its lock going away.
      await delay(250)
    }
  }
  try {
    return fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** A TCP port free on 127.0.0.1 right now. */
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
 * Spawns a server and resolves once a line of its output matches `ready`; rejects with the
 * output when it exits first.
 */
async function spawnUntil (command, args, ready, spawnOptions = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions })
  let output = ''
  await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk
      if (ready.test(output)) {
        child.off('exit', onExit)
        resolve()
      }
    }
    const onExit = (code, signal) =>
      reject(new Error(`${command} exited (${code ?? signal}) before it was ready:\n${output}`))
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', onData)
    child.once('exit', onExit)
    child.once('error', reject)
  })
  return child
}

async function stopChild (child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  await exited
}

/**
 * A Redis server on 127.0.0.1, no persistence, data in a temporary directory. `stop()` ends it
 * (SIGKILL with `{ crash: true }`, as a broken connection looks to its clients). Pass the test
 * context to have it stopped after the test.
 */
export async function startRedis (t) {
  await ensureInstalled('redis')
  const dir = mkdtempSync(join(tmpdir(), 'fok-redis-'))
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no']
  const child = await spawnUntil(programs.redis(), args, /Ready to accept connections/)
  const redis = {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop ({ crash = false } = {}) {
      await stopChild(child, crash ? 'SIGKILL' : 'SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    }
  }
  t?.after(() => redis.stop())
  return redis
}

/** uid and gid of a system user, from /etc/passwd. */
function systemUser (name) {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`))
  if (line === undefined) return undefined
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

/**
 * A PostgreSQL server on 127.0.0.1: a new cluster (initdb, trust authentication for the user
 * `postgres`) in a temporary directory, without durability (the data is thrown away). PostgreSQL
 * refuses to run as root, so as root it runs as the `postgres` user Debian's package creates.
 */
export async function startPostgres (t) {
  await ensureInstalled('postgres')
  const { initdb, postgres } = programs.postgres()
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const user = asRoot ? systemUser('postgres') : undefined
  if (asRoot && user === undefined) {
    throw new Error('running as root, and there is no postgres user to run PostgreSQL as')
  }
  const dir = mkdtempSync(join(tmpdir(), 'fok-postgres-'))
  if (user !== undefined) chownSync(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  const as = user === undefined ? {} : { uid: user.uid, gid: user.gid }
  execFileSync(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...as
  })
  const port = await freePort()
  const child = await spawnUntil(
    postgres,
    [
      '-D', data,
      '-p', String(port),
      '-k', dir,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off'
    ],
    /database system is ready to accept connections/,
    as
  )
  const server = {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop () {
      await stopChild(child, 'SIGINT') // PostgreSQL's fast shutdown
      rmSync(dir, { recursive: true, force: true })
    }
  }
  t?.after(() => server.stop())
  return server
}

/**
 * A Prometheus server on 127.0.0.1 scraping `targets` (`host:port`, path /metrics) every second,
 * its configuration and storage in a temporary directory. `query(promql)` is an instant query's
 * result vector; `untilScraped()` resolves after a successful scrape of every target that began
 * after it was called (Prometheus offers no event for it: its HTTP API is asked until it says so).
 */
export async function startPrometheus (t, targets) {
  await ensureInstalled('prometheus')
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
  const child = await spawnUntil(
    programs.prometheus(),
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`
    ],
    /Server is ready to receive web requests/
  )
  t.after(async () => {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
  })
  const url = `http://127.0.0.1:${port}`
  const api = async (path) => {
    const body = await (await fetch(`${url}${path}`)).json()
    if (body.status !== 'success') throw new Error(`${path}: ${JSON.stringify(body)}`)
    return body.data
  }
  return {
    url,
    query: async (promql) => (await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)).result,
    labelValues: async (label) => await api(`/api/v1/label/${encodeURIComponent(label)}/values`),
    untilScraped: async (deadlineMillis = 30_000) => {
      const since = Date.now()
      const deadline = since + deadlineMillis
      for (;;) {
        const { activeTargets } = await api('/api/v1/targets')
        const scraped =
          activeTargets.length === targets.length &&
          activeTargets.every((target) => target.health === 'up' && Date.parse(target.lastScrape) > since)
        if (scraped) return
        if (Date.now() > deadline) {
          throw new Error(`no scrape of every target within ${deadlineMillis} ms: ${JSON.stringify(activeTargets)}`)
        }
        await delay(100)
      }
    }
  }
}
