// Real Redis and PostgreSQL servers for the tests that need them: Debian's `redis-server` and
// `postgresql` packages, each server started on 127.0.0.1 with a free port and its data in a
// temporary directory, stopped (and the directory removed) when the test is done.
//
// When a server's programs are missing, a test run as root installs them with apt-get (and says
// so); otherwise it fails with the command to run. Several test files may ask at once (node --test
// runs files in parallel), so the installation is done by one of them while the others wait.
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'

const PACKAGES = ['redis-server', 'postgresql']
const INSTALL = `apt-get update && apt-get install -y --no-install-recommends ${PACKAGES.join(' ')}`

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
  postgres: () => postgresBinaries()
}

/**
 * Makes sure the programs of `server` are installed: found, or installed with apt-get when this
 * process is root (one installer at a time, across processes), or an Error naming the command.
 */
async function ensureInstalled (server) {
  if (programs[server]() !== undefined) return
  if (typeof process.getuid !== 'function' || process.getuid() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error(
      `the ${server} tests need Debian's ${PACKAGES.join(' and ')} packages, which are not installed; ` +
        `install them first (as root: ${INSTALL})`
    )
  }
  await withInstallLock(() => {
    if (programs[server]() !== undefined) return // another test file installed them meanwhile
    process.stderr.write(`test/servers.mjs: ${server} is not installed; running as root: ${INSTALL}\n`)
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env })
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env
    })
  })
  if (programs[server]() === undefined) throw new Error(`${INSTALL} ran, but ${server}'s programs are still missing`)
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
async function freePort () {
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
