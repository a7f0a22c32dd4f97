// What a traced request adds to bare Fastify, in process: the plugin with its defaults and
// @fastify/otel on upstream's SDK pipeline, both sampled with an exporter that only counts
// (./measure.mjs: a bare app and a traced one taking turns request by request). The setups take
// turns over fresh processes pinned to one core; each setup's median over its processes is
// reported. Exports run between the measured requests, so what an exporter costs is not in these
// figures (the HTTP rows' server CPU has it); what the request path costs is, to a fraction of a
// microsecond, which the HTTP rows cannot resolve on a shared machine.
import { fileURLToPath } from 'node:url'
import { median, runNode } from '../lib/processes.mjs'

const script = fileURLToPath(new URL('./measure.mjs', import.meta.url))
const SETUPS = [
  ['plugin', "the plugin, defaults (sampled, lifecycle timing 'slow')"],
  ['fastify-otel', '@fastify/otel, one span per request, on upstream BatchSpanProcessor']
]

export async function runOverhead ({ processes, requests, log }) {
  const overs = new Map(SETUPS.map(([setup]) => [setup, []]))
  const dropped = new Map(SETUPS.map(([setup]) => [setup, 0]))
  for (let round = 0; round < processes; round++) {
    for (const [setup] of SETUPS) {
      const result = await runNode(script, [setup, '--json'], { core: 0, env: { REQUESTS: String(requests) } })
      overs.get(setup).push(Number((result.tracedMicros - result.bareMicros).toFixed(3)))
      dropped.set(setup, dropped.get(setup) + result.dropped)
    }
  }
  return SETUPS.map(([setup, label]) => {
    const values = overs.get(setup)
    const row = {
      setup,
      label,
      processes,
      requests,
      overMicros: values,
      medianOverMicros: median(values),
      dropped: dropped.get(setup)
    }
    const each = values.map((v) => `+${v.toFixed(2)}`).join(', ')
    log(`  ${label}: ${each} us over bare (median +${row.medianOverMicros.toFixed(2)})`)
    return row
  })
}
