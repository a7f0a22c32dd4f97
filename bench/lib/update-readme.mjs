// Regenerates the README's benchmark tables from one run's results, between the markers
// <!-- bench:start --> and <!-- bench:end -->. The run says its machine, Node versions and commit.
//   node bench/lib/update-readme.mjs [bench/results/full.json]
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { renderMarkdown } from './report.mjs'

const readmeFile = fileURLToPath(new URL('../../README.md', import.meta.url))
const resultsFile = process.argv[2] ?? fileURLToPath(new URL('../results/full.json', import.meta.url))
const results = JSON.parse(readFileSync(resultsFile, 'utf8'))
if (results.mode !== 'full') throw new Error(`${resultsFile} is a ${results.mode} run: the README's tables come from a full run`)
const readme = readFileSync(readmeFile, 'utf8')
const start = readme.indexOf('<!-- bench:start -->')
const end = readme.indexOf('<!-- bench:end -->')
if (start === -1 || end < start) throw new Error('README.md has no <!-- bench:start --> ... <!-- bench:end --> section')
const body = renderMarkdown(results).replace(/^### Benchmark results[^\n]*\n\n/, '')
writeFileSync(readmeFile, `${readme.slice(0, start)}<!-- bench:start -->\n${body}\n${readme.slice(end)}`)
process.stdout.write(`README.md: tables from ${resultsFile} (${results.date}, commit ${results.machine.commit})\n`)
