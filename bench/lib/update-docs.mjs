// Regenerates the benchmark tables of docs/internals/performance.md from one run's results, between
// the markers <!-- bench:start --> and <!-- bench:end -->. The run says its machine, Node versions
// and commit.
//   node bench/lib/update-docs.mjs [bench/results/full.json]
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { renderMarkdown } from './report.mjs'

const docFile = fileURLToPath(new URL('../../docs/internals/performance.md', import.meta.url))
const resultsFile = process.argv[2] ?? fileURLToPath(new URL('../results/full.json', import.meta.url))
const results = JSON.parse(readFileSync(resultsFile, 'utf8'))
if (results.mode !== 'full' || results.only !== undefined) {
  const what = results.only === undefined ? `a ${results.mode} run` : `a run of ${results.only.join(', ')} only`
  throw new Error(`${resultsFile} is ${what}: the published tables come from a whole full run`)
}
const doc = readFileSync(docFile, 'utf8')
const start = doc.indexOf('<!-- bench:start -->')
const end = doc.indexOf('<!-- bench:end -->')
if (start === -1 || end < start) {
  throw new Error(`${docFile} has no <!-- bench:start --> ... <!-- bench:end --> section`)
}
const body = renderMarkdown(results).replace(/^### Benchmark results[^\n]*\n\n/, '')
writeFileSync(docFile, `${doc.slice(0, start)}<!-- bench:start -->\n${body}\n${doc.slice(end)}`)
process.stdout.write(
  `docs/internals/performance.md: tables from ${resultsFile} (${results.date}, commit ${results.machine.commit})\n`
)
