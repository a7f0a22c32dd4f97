// What lifecycle timing costs a traced request on a route where nothing is slow, in process (the
// HTTP rows cannot resolve a fraction of a microsecond on a shared machine). Each process runs one
// pair of modes side by side (./measure.mjs: routes taking turns request by request) and gives the
// difference of their medians; the pairs take turns over fresh processes, and each pair's median
// difference over its processes is reported:
//   - 'slow' (the default) against 'off': the budget of issue 22, at most 0.3 us;
//   - 'all' against 'off': a span for every hook and the handler;
//   - 'off' against a second 'off' route: the measurement's own floor.
// A pair per process, not the three modes in one: with 'all' beside them, the plugin's wrappers
// see every path, 'off' slows down too and the difference shrinks (docs/internals/performance.md).
import { fileURLToPath } from 'node:url'
import { median, runNode } from '../lib/processes.mjs'
import { signed } from '../lib/report.mjs'

const script = fileURLToPath(new URL('./measure.mjs', import.meta.url))
const PAIRS = [
  ['off', 'slow'],
  ['off', 'all'],
  ['off', 'off2']
]

export async function runLifecycle ({ processes, requests, log }) {
  const deltas = new Map(PAIRS.map(([, mode]) => [mode, []]))
  // Dropping a span is cheaper than exporting it: a pair whose process dropped any is not comparable.
  const dropped = new Map(PAIRS.map(([, mode]) => [mode, 0]))
  for (let round = 0; round < processes; round++) {
    for (const [base, mode] of PAIRS) {
      const result = await runNode(script, ['--json'], {
        core: 0,
        env: { MODES: `${base},${mode}`, REQUESTS: String(requests) }
      })
      deltas.get(mode).push(result.modes[mode].medianMicros - result.modes[base].medianMicros)
      dropped.set(mode, dropped.get(mode) + result.spans.dropped)
    }
  }
  return PAIRS.map(([base, mode]) => {
    const values = deltas.get(mode).map((d) => Number(d.toFixed(3)))
    const row = {
      mode,
      against: base,
      processes,
      requests,
      deltasMicros: values,
      medianDeltaMicros: median(values),
      spansDropped: dropped.get(mode)
    }
    log(
      `  '${mode}' against '${base}': ${values.map(signed).join(', ')} us ` +
        `(median ${signed(row.medianDeltaMicros)} us per request; ${row.spansDropped} spans dropped)`
    )
    return row
  })
}
