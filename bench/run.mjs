// The benchmark suite: `npm run bench` (full, a few minutes) or `npm run bench -- --quick` (under a
// minute, run by CI). Every scenario measures its baseline in the same run and reports ratios;
// results go to bench/results/<mode>.json and .md, a partial run's (--only) to <mode>-<sections>.json
// and .md, so that it never replaces a whole run's (ignored by git: a run leaves the tree clean;
// node bench/lib/update-docs.mjs puts a full run's tables into docs/internals/performance.md).
//   --quick            short runs
//   --only a,b         a subset of: micro, encoder, lifecycle, overhead, workers, pipeline, logs, http
//   --nodes 22,24,26   the Node versions the HTTP servers run on (full run: 22,24,26; quick: this one)
//   --compare FILE     after the run, compare it with a saved run (a copy of an earlier results JSON)
//   --against DIR      also run the plugin's HTTP setups of another checkout (built, with its node_modules),
//                      interleaved with this one's in the same rounds: a before/after on one machine
//   --against-setups a,b   which of them (default: off,unsampled,sampled,otlp; an older checkout may
//                      not know the newer setups)
//   --setups a,b       only these HTTP setups of this checkout (bare Fastify always runs)
//   --rounds n         rounds of fresh HTTP server processes (full run: 3, quick: 1)
import { execFileSync, execSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { PLUGIN_SETUPS, runHttp, SETUPS } from './http/index.mjs'
import { runLifecycle } from './lifecycle/index.mjs'
import { runLogs } from './logs/index.mjs'
import { runOverhead } from './overhead/index.mjs'
import { nodeBinDirectory } from '../scripts/node-binary.mjs'
import { hasTaskset } from './lib/processes.mjs'
import { readResults, renderComparison } from './lib/compare.mjs'
import { renderMarkdown } from './lib/report.mjs'
import { evaluateTargets } from './lib/targets.mjs'
import { runEncoder } from './micro/encoder.mjs'
import { runMicro } from './micro/index.mjs'
import { runPipeline } from './pipeline/index.mjs'
import { runWorkers } from './workers/index.mjs'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    only: { type: 'string' },
    nodes: { type: 'string' },
    compare: { type: 'string' },
    against: { type: 'string' },
    'against-setups': { type: 'string' },
    setups: { type: 'string' },
    rounds: { type: 'string' }
  }
})
const quick = values.quick === true
const only = values.only?.split(',')
const wanted = (name) => only === undefined || only.includes(name)
const log = (line) => process.stdout.write(`${line}\n`)
const settings = quick
  ? {
      micro: { timeMillis: 80 },
      encoder: { rounds: 3 },
      lifecycle: { processes: 1, requests: 5000 },
      overhead: { processes: 1, requests: 5000 },
      workers: { noopTasks: 400, cpuTasks: 100, pipelinedTasks: 2000 },
      pipeline: {
        seconds: 1,
        rates: [15000, 30000, 45000],
        presets: ['aggressive'],
        recovery: { rounds: 1, outageMillis: 3000 }
      },
      logs: { rounds: 5, lines: 5000, warmupRounds: 6 },
      http: { rounds: 1, seconds: 2, warmupSeconds: 1.5, connections: [50] }
    }
  : {
      micro: { timeMillis: 1000 },
      encoder: { rounds: 15 },
      lifecycle: { processes: 5, requests: 40000 },
      overhead: { processes: 5, requests: 30000 },
      workers: { noopTasks: 3000, cpuTasks: 400, pipelinedTasks: 8000 },
      pipeline: {
        seconds: 3,
        rates: [10000, 20000, 30000, 40000, 50000, 60000, 70000, 80000, 90000, 100000],
        presets: ['conservative', 'moderate', 'aggressive'],
        recovery: { rounds: 3, outageMillis: 15000 }
      },
      logs: { rounds: 15, lines: 5000, warmupRounds: 10 },
      http: { rounds: 3, seconds: 5, warmupSeconds: 3, connections: [50, 100] }
    }
if (values.rounds !== undefined) settings.http.rounds = Math.max(1, Number(values.rounds))

const started = new Date()
const results = {
  mode: quick ? 'quick' : 'full',
  command: quick ? 'npm run bench -- --quick' : 'npm run bench',
  ...(only === undefined ? {} : { only }),
  date: started.toISOString(),
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    taskset: hasTaskset,
    commit: gitCommit()
  },
  settings
}

// The in-process suites, in the order they run: name (for --only), what the log calls it, its runner.
const SUITES = [
  ['micro', 'propagation micro-costs', runMicro],
  ['encoder', 'OTLP encoding', runEncoder],
  ['lifecycle', 'lifecycle timing, in process', runLifecycle],
  ['overhead', 'request path over bare Fastify, in process', runOverhead],
  ['workers', 'thread boundary', runWorkers],
  ['pipeline', 'pipeline', runPipeline],
  ['logs', 'log export', runLogs]
]
for (const [name, title, run] of SUITES) {
  if (!wanted(name)) continue
  log(title)
  results[name] = await run({ ...settings[name], log })
}
if (wanted('http')) {
  // A table per Node version: Node 22 and 24 run AsyncLocalStorage without async hooks, so the
  // per-request floor differs (README, Performance).
  const nodes = values.nodes?.split(',') ?? (quick ? [process.versions.node.split('.')[0]] : ['22', '24', '26'])
  results.http = []
  for (const major of nodes) {
    const execPath = join(nodeBinDirectory(major), 'node')
    const version = execFileSync(execPath, ['--version']).toString().trim()
    log(`HTTP overhead, servers on Node ${version}`)
    results.http.push({
      node: version,
      rows: await runHttp({
        ...settings.http,
        setups: httpSetups(values.against, values['against-setups'], values.setups),
        execPath,
        log
      })
    })
  }
}
results.targets = evaluateTargets(results)
results.durationSeconds = Math.round((Date.now() - started.getTime()) / 1000)

const directory = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(directory, { recursive: true })
const markdown = renderMarkdown(results)
const name = only === undefined ? results.mode : `${results.mode}-${only.join('-')}`
writeFileSync(`${directory}${name}.json`, `${JSON.stringify(results, null, 2)}\n`)
writeFileSync(`${directory}${name}.md`, markdown)
log(`\n${markdown}`)
log(`results: bench/results/${name}.json and .md (${results.durationSeconds} s)`)
if (values.compare !== undefined) {
  const comparison = renderComparison(readResults(values.compare), results)
  writeFileSync(`${directory}${name}-compared.md`, comparison)
  log(`\n${comparison}`)
  log(`comparison: bench/results/${name}-compared.md`)
}

/**
 * This checkout's HTTP setups (`--setups` picks some; bare Fastify always runs), and with --against
 * another checkout's plugin setups beside them (its ids marked).
 */
function httpSetups (against, againstSetups = 'off,unsampled,sampled,otlp', only) {
  const picked = only === undefined ? SETUPS : SETUPS.filter((s) => s.id === 'bare' || only.split(',').includes(s.id))
  if (against === undefined) return picked
  const server = join(against, 'bench', 'http', 'server.mjs')
  const wanted = againstSetups.split(',').filter((id) => PLUGIN_SETUPS.includes(id))
  const theirs = SETUPS.filter((s) => wanted.includes(s.id)).map((s) => ({
    ...s,
    id: `${s.id}@against`,
    label: `${s.label} (${against})`,
    server,
    serverSetup: s.id,
    cwd: against
  }))
  return [...picked, ...theirs]
}

function gitCommit () {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()
  } catch {
    return 'unknown'
  }
}
