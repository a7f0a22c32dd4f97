// Summarises a .cpuprofile by source file of this package (dist/...): self time per file and per
// function, as a share of busy time (idle excluded). Finds what of the package's own work is left.
//   node bench/lib/profile-files.mjs <file.cpuprofile> [top]
import { readFileSync } from 'node:fs'

const [file, top = '25'] = process.argv.slice(2)
const profile = JSON.parse(readFileSync(file, 'utf8'))
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const files = new Map()
const functions = new Map()
let busy = 0
let ours = 0
for (let i = 0; i < profile.samples.length; i++) {
  const { functionName, url } = byId.get(profile.samples[i]).callFrame
  if (functionName === '(idle)') continue
  const micros = profile.timeDeltas[i] ?? 0
  busy += micros
  const at = url.indexOf('/dist/')
  if (at === -1) continue
  ours += micros
  const where = url.slice(at + 6)
  files.set(where, (files.get(where) ?? 0) + micros)
  const key = `${functionName || '(anonymous)'} ${where}`
  functions.set(key, (functions.get(key) ?? 0) + micros)
}
const pct = (x) => `${((x / busy) * 100).toFixed(2).padStart(6)}%`
console.log(`${pct(ours)}  the package's own code (self time), of busy time`)
const heaviest = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(top))
for (const [where, micros] of heaviest(files)) console.log(`${pct(micros)}  ${where}`)
console.log('\nby function')
for (const [key, micros] of heaviest(functions)) console.log(`${pct(micros)}  ${key}`)
