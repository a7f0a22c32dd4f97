// Child processes for the benchmarks: pinned to a core where taskset exists, with line-based
// JSON messages on stdout.
import { spawn, spawnSync } from 'node:child_process'
import { createInterface } from 'node:readline'

export const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0

/**
 * Starts `node script args` (on `core` if possible; with another Node binary if `execPath` says)
 * and returns a handle for its JSON lines.
 */
export function startNode (
  script,
  args = [],
  { core, env = {}, nodeArgs = [], execPath = process.execPath, cwd } = {}
) {
  const command = hasTaskset && core !== undefined ? 'taskset' : execPath
  const commandArgs =
    hasTaskset && core !== undefined
      ? ['-c', String(core), execPath, ...nodeArgs, script, ...args]
      : [...nodeArgs, script, ...args]
  const child = spawn(command, commandArgs, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
    ...(cwd === undefined ? {} : { cwd })
  })
  const queue = []
  const waiting = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message
    try {
      message = JSON.parse(line)
    } catch {
      return
    }
    const next = waiting.shift()
    if (next) next(message)
    else queue.push(message)
  })
  // 'close', not 'exit': a line printed just before exiting may still be on its way on 'exit'.
  const exited = new Promise((resolve) => child.on('close', resolve))
  return {
    child,
    /** The next JSON line the process prints. */
    next () {
      if (queue.length > 0) return Promise.resolve(queue.shift())
      return new Promise((resolve, reject) => {
        waiting.push(resolve)
        exited.then((code) => reject(new Error(`${script} exited (${code}) before answering`)))
      })
    },
    send (line) {
      child.stdin.write(`${line}\n`)
    },
    async stop () {
      child.stdin.end()
      await exited
    }
  }
}

/** Runs `node script args` to completion and returns the first JSON line it prints. */
export async function runNode (script, args = [], options = {}) {
  const handle = startNode(script, args, options)
  const result = await handle.next()
  await handle.stop()
  return result
}

export function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
