// What a traced request adds to bare Fastify, in process: the plugin with its defaults and
// @fastify/otel on upstream's SDK pipeline, both sampled with an exporter that only counts
// (./measure.mjs: a bare app and a traced one taking turns request by request). The setups take
// turns over fresh processes pinned to one core (their order alternating round by round); each
// setup's median over its processes is reported. Exports run in the pauses between requests, or
// inside one request in 512 (upstream's processor exports when a batch is full): outside the
// medians either way, so an exporter's own cost is not in these figures (the HTTP rows' server CPU
// has it). The plugin encodes each span when it ends (for OTLP protobuf that is the export's
// encoding; for this exporter, the byte bound's measure): that is in its figure. The HTTP rows cannot
// resolve a microsecond on a shared machine; this resolves about one.
import { fileURLToPath } from 'node:url'
import { median, runNode } from '../lib/processes.mjs'
import { signed } from '../lib/report.mjs'

const script = fileURLToPath(new URL('./measure.mjs', import.meta.url))
const SETUPS = [
  ['plugin', "the plugin, defaults (sampled, lifecycle timing 'slow', each span encoded as it ends)"],
  ['fastify-otel', '@fastify/otel, one span per request, on upstream BatchSpanProcessor']
]

export async function runOverhead ({ processes, requests, log }) {
  const overs = new Map(SETUPS.map(([setup]) => [setup, []]))
  const dropped = new Map(SETUPS.map(([setup]) => [setup, 0]))
  for (let round = 0; round < processes; round++) {
    for (const [setup] of round % 2 === 0 ? SETUPS : [...SETUPS].reverse()) {
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
    log(`  ${label}: ${values.map(signed).join(', ')} us over bare (median ${signed(row.medianOverMicros)})`)
    return row
  })
}
