// Compares two benchmark runs, so that a contributor sees what a change did:
//   npm run bench -- --compare bench/results/baseline.json     (this run against a saved one)
//   node bench/lib/compare.mjs before.json after.json           (two saved runs)
// Save a run by copying bench/results/full.json (or quick.json) before changing the code. Runs are
// compared figure by figure where both have it; ratios to an in-run baseline (bare Fastify,
// pool.run, pino alone) travel between machines better than absolute figures, which are shown too.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Every comparable figure of a run: key -> { value, better: 'higher' | 'lower' }. */
export function figuresOf (results) {
  const figures = new Map()
  const put = (key, value, better) => {
    if (typeof value === 'number' && Number.isFinite(value)) figures.set(key, { value, better })
  }
  for (const table of results.http ?? []) {
    const node = `Node ${table.node.replace(/^v/, '').split('.')[0]}`
    for (const row of table.rows) {
      const at = `${node}, -c ${row.connections}, ${row.setup}`
      if (row.setup !== 'bare') put(`http: ${at}: req/s vs bare`, row.ratio, 'higher')
      put(`http: ${at}: server CPU us/req`, row.cpuMicrosPerRequest, 'lower')
    }
  }
  for (const row of results.micro ?? []) put(`micro: ${row.name}: ns/op`, row.nsPerOp, 'lower')
  for (const row of results.lifecycle ?? []) {
    // The floor (a second route of the same mode) is noise around zero: no figure to compare.
    if (row.mode.replace(/\d+$/, '') === row.against) continue
    put(`lifecycle: '${row.mode}' over '${row.against}': us per request`, row.medianDeltaMicros, 'lower')
  }
  for (const row of results.overhead ?? []) {
    put(`overhead: ${row.setup}: us over bare per request`, row.medianOverMicros, 'lower')
  }
  for (const row of results.workers?.rows ?? []) {
    put(`workers: ${row.task}: runInWorker, context only vs pool.run`, row.contextOnlyRatio, 'lower')
    put(`workers: ${row.task}: runInWorker, span relayed vs pool.run`, row.relayedRatio, 'lower')
  }
  for (const s of results.pipeline?.summary ?? []) {
    put(`pipeline: ${s.preset}: spans/s with zero drops`, s.maxZeroDropSpansPerSecond, 'higher')
  }
  for (const h of results.pipeline?.heap ?? []) {
    put(`pipeline: ${h.preset}: bytes per queued span`, h.bytesPerSpan, 'lower')
  }
  put('pipeline: recovery after an outage, median ms', results.pipeline?.recovery?.pluginMedian, 'lower')
  for (const row of results.logs ?? []) put(`logs: ${row.destination}: export on vs pino alone`, row.ratio, 'lower')
  return figures
}

/** A markdown table of the figures both runs have, with the change and whether it is better. */
export function renderComparison (before, after) {
  const a = figuresOf(before)
  const b = figuresOf(after)
  const out = [
    `### Compared with commit ${before.machine?.commit ?? '?'} ` +
      `(${before.mode} run, ${before.date?.slice(0, 10) ?? '?'}, Node ${before.machine?.node ?? '?'})`,
    '',
    `This run: commit ${after.machine?.commit ?? '?'} (${after.mode} run, Node ${after.machine?.node ?? '?'}). ` +
      'Changes within a few percent are noise on a shared machine; a quick run swings 10-20 %.',
    '',
    '| figure | before | after | change | |',
    '|---|---:|---:|---:|---|'
  ]
  let shared = 0
  for (const [key, { value: was, better }] of a) {
    const now = b.get(key)?.value
    if (now === undefined) continue
    shared++
    const change = was === 0 ? 0 : (now - was) / Math.abs(was)
    const improved = better === 'higher' ? change > 0 : change < 0
    const verdict = Math.abs(change) < 0.03 ? 'same' : improved ? 'better' : 'worse'
    const sign = change >= 0 ? '+' : ''
    out.push(`| ${key} | ${format(was)} | ${format(now)} | ${sign}${(change * 100).toFixed(1)} % | ${verdict} |`)
  }
  if (shared === 0) out.push('| (no figure in common: different scenarios were run) | | | | |')
  return out.join('\n') + '\n'
}

function format (value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1)
}

export function readResults (file) {
  return JSON.parse(readFileSync(file, 'utf8'))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [beforeFile, afterFile] = process.argv.slice(2)
  if (beforeFile === undefined || afterFile === undefined) {
    process.stderr.write('usage: node bench/lib/compare.mjs <before.json> <after.json>\n')
    process.exit(2)
  }
  process.stdout.write(renderComparison(readResults(beforeFile), readResults(afterFile)))
}
