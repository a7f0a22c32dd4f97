// Summarises a .cpuprofile: self time per function (share of busy time, idle excluded), and per
// package. Used to find what to make cheaper.
//   node bench/lib/profile-summary.mjs <file.cpuprofile> [top]
import { readFileSync } from 'node:fs'

const [file, top = '30'] = process.argv.slice(2)
const profile = JSON.parse(readFileSync(file, 'utf8'))
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map()
const groups = new Map()
let busy = 0
for (let i = 0; i < profile.samples.length; i++) {
  const { functionName, url, lineNumber } = byId.get(profile.samples[i]).callFrame
  if (functionName === '(idle)') continue
  const micros = profile.timeDeltas[i] ?? 0
  busy += micros
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/main\//, '')
  const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + micros)
  const group =
    where.startsWith('node:') || where === ''
      ? 'node internals'
      : where.startsWith('@opentelemetry')
        ? where.split('/').slice(0, 2).join('/')
        : where.split('/')[0]
  groups.set(group, (groups.get(group) ?? 0) + micros)
}
const pct = (x) => `${((x / busy) * 100).toFixed(1).padStart(5)}%`
for (const [key, micros] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  console.log(`${pct(micros)}  ${key}`)
}
console.log('\nby package (self time, share of busy time)')
for (const [group, micros] of [...groups.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${pct(micros)}  ${group}`)
}
