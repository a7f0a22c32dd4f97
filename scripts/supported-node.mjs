// Runs a command (`node ...`) on a Node.js line that OpenTelemetry JS 3 supports (>= 22.15). On
// such a Node it runs the command as it is; on an older one (a machine whose default is Node 20)
// it takes Node FALLBACK_MAJOR from the npm registry (node-binary.mjs, cached after the first time)
// and runs the command with that Node first on the PATH. The repository's `npm start`, `npm test`,
// `npm run lint`, `npm run bench` and `npm run doctor` go through here, so they work on either machine.
// Written for any Node from 18 on: it runs before a supported Node is there.
import { spawnSync } from 'node:child_process'
import { delimiter } from 'node:path'
import { nodeBinDirectory } from './node-binary.mjs'

/** The floor of the OpenTelemetry JS 3 packages (their `engines`), as this package's own. */
const FLOOR = [22, 15]
/** The Node line taken from the registry when the machine's is older: an LTS line. */
const FALLBACK_MAJOR = 24

const [major, minor] = process.versions.node.split('.').map(Number)
const supported = major > FLOOR[0] || (major === FLOOR[0] && minor >= FLOOR[1])
const [command, ...args] = process.argv.slice(2)
if (command === undefined) {
  process.stderr.write('usage: node scripts/supported-node.mjs <command> [arguments...]\n')
  process.exit(2)
}

const env = { ...process.env }
if (!supported) {
  const bin = nodeBinDirectory(FALLBACK_MAJOR)
  env.PATH = `${bin}${delimiter}${env.PATH ?? ''}`
  process.stderr.write(
    `fastify-otel-kit: Node ${process.versions.node} is older than ${FLOOR.join('.')}, ` +
      `which OpenTelemetry JS 3 needs; running with Node ${FALLBACK_MAJOR} from the npm registry (${bin}).\n`
  )
}
const result = spawnSync(command, args, { stdio: 'inherit', env, shell: process.platform === 'win32' })
if (result.error !== undefined) {
  process.stderr.write(`fastify-otel-kit: could not run ${command}: ${result.error.message}\n`)
  process.exit(1)
}
process.exit(result.status ?? 1)
