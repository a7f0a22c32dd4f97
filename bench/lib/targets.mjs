// The targets, checked against one run's figures. A miss is reported, never hidden.
export function evaluateTargets (results) {
  const targets = []
  const add = (name, goal, value, met) =>
    targets.push({ name, goal, value, met: value === undefined ? undefined : met })
  // Per Node version: Node 24 runs AsyncLocalStorage without async hooks and must reach 0.85 / 0.70
  // of bare; every version must stay 1.3x ahead of @fastify/otel.
  const floors = { 24: { unsampled: 0.85, sampled: 0.7, why: '' } }
  for (const table of results.http ?? []) {
    const major = table.node.replace(/^v/, '').split('.')[0]
    const at50 = (id, field = 'ratio') => table.rows.find((r) => r.setup === id && r.connections === 50)?.[field]
    const on = `Node ${major}`
    const off = at50('off')
    add(`${on}: tracing off vs bare Fastify (req/s, -c 50)`, '>= 0.97', off, off >= 0.97)
    const floor = floors[major]
    if (floor !== undefined) {
      const unsampled = at50('unsampled')
      const sampled = at50('sampled')
      const note = floor.why === '' ? '' : ` (${floor.why})`
      add(
        `${on}: unsampled parent vs bare Fastify (req/s, -c 50)`,
        `>= ${floor.unsampled.toFixed(2)}${note}`,
        unsampled,
        unsampled >= floor.unsampled
      )
      add(
        `${on}: sampled, no-op exporter vs bare Fastify (req/s, -c 50)`,
        `>= ${floor.sampled.toFixed(2)}${note}`,
        sampled,
        sampled >= floor.sampled
      )
    }
    // The request metrics' cost: server CPU per request with them, minus the same setup without,
    // in the same run.
    for (const kind of ['unsampled', 'sampled']) {
      const without = at50(kind, 'cpuMicrosPerRequest')
      const withMetrics = at50(`${kind}-metrics`, 'cpuMicrosPerRequest')
      const delta =
        without !== undefined && withMetrics !== undefined ? Number((withMetrics - without).toFixed(2)) : undefined
      add(`${on}: request metrics, ${kind} (server CPU per request added, -c 50)`, '<= 0.5 us', delta, delta <= 0.5)
    }
    const sampled = at50('sampled')
    const peer = at50('fastify-otel')
    const speedup = sampled !== undefined && peer !== undefined ? Number((sampled / peer).toFixed(2)) : undefined
    add(`${on}: sampled vs @fastify/otel (req/s, -c 50)`, '>= 1.3x', speedup, speedup >= 1.3)
    const cpuSpeedup =
      at50('sampled', 'cpuMicrosPerRequest') !== undefined && at50('fastify-otel', 'cpuMicrosPerRequest') !== undefined
        ? Number((at50('fastify-otel', 'cpuMicrosPerRequest') / at50('sampled', 'cpuMicrosPerRequest')).toFixed(2))
        : undefined
    add(`${on}: sampled vs @fastify/otel (server CPU per request, -c 50)`, '>= 1.3x', cpuSpeedup, cpuSpeedup >= 1.3)
    // Really exporting, to a receiver in another process, beside @fastify/otel on upstream's
    // BatchSpanProcessor and OTLP exporter over the same protocol (issue 21).
    for (const [ours, peer, protocol] of [
      ['otlp', 'fastify-otel-grpc', 'OTLP/gRPC'],
      ['otlp-http', 'fastify-otel-http', 'OTLP/HTTP']
    ]) {
      if (major === '24') {
        const ratio = at50(ours)
        const name = `${on}: sampled, exporting over ${protocol} vs bare Fastify (req/s, -c 50)`
        add(name, '>= 0.75', ratio, ratio >= 0.75)
      }
      const mine = at50(ours, 'cpuMicrosPerRequest')
      const theirs = at50(peer, 'cpuMicrosPerRequest')
      const times = mine !== undefined && theirs !== undefined ? Number((theirs / mine).toFixed(2)) : undefined
      add(
        `${on}: sampled, exporting over ${protocol} vs @fastify/otel exporting the same way ` +
          '(server CPU per request, -c 50)',
        '>= 2x',
        times,
        times >= 2
      )
      const row = table.rows.find((r) => r.setup === ours && r.connections === 50)
      const dropped = row?.spans?.ended > 0 ? row.spans.dropped : undefined
      add(`${on}: spans dropped, exporting over ${protocol} at the plugin's request rate`, '0', dropped, dropped === 0)
    }
  }
  for (const items of ['spans', 'log records']) {
    const ours = results.encoder?.find((r) => r.items === items && r.name === "the package's encoder")
    add(
      `OTLP encoding, ${items}, in isolation (us per item)`,
      '<= 1 us',
      ours?.microsPerItem,
      ours?.microsPerItem <= 1
    )
  }
  // Lifecycle timing's default on a route where nothing is slow, over 'off' (issue 22).
  const slow = results.lifecycle?.find((r) => r.mode === 'slow')?.medianDeltaMicros
  add("lifecycle timing 'slow' over 'off', in process (us per request)", '<= 0.3 us', slow, slow <= 0.3)
  const noop = results.workers?.rows.find((r) => r.task === 'no-op task')
  const pipelined = results.workers?.rows.find((r) => r.task.startsWith('no-op task,'))
  add(
    'runInWorker, context only vs pool.run (no-op, one at a time)',
    '<= 1.05x',
    noop?.contextOnlyRatio,
    noop?.contextOnlyRatio <= 1.05
  )
  add(
    'runInWorker, context only vs pool.run (no-op, 32 in flight)',
    '<= 1.05x',
    pipelined?.contextOnlyRatio,
    pipelined?.contextOnlyRatio <= 1.05
  )
  add(
    'runInWorker, span relayed vs pool.run (no-op, one at a time)',
    '<= 1.25x',
    noop?.relayedRatio,
    noop?.relayedRatio <= 1.25
  )
  add(
    'runInWorker, span relayed vs pool.run (no-op, 32 in flight)',
    '<= 1.25x',
    pipelined?.relayedRatio,
    pipelined?.relayedRatio <= 1.25
  )
  add(
    'propagation delta per crossing (32 in flight)',
    '<= 3 us',
    pipelined?.propagationDeltaMicros,
    pipelined?.propagationDeltaMicros <= 3
  )
  const best = Math.max(...(results.pipeline?.summary ?? []).map((s) => s.maxZeroDropSpansPerSecond))
  add(
    'spans/s delivered with zero drops, best preset',
    '>= 30000',
    Number.isFinite(best) ? best : undefined,
    best >= 30000
  )
  // The moderate preset keeps up with bare Fastify's request rate (a span per request) on this machine.
  const moderate = results.pipeline?.summary.find((s) => s.preset === 'moderate')?.maxZeroDropSpansPerSecond
  const here = `v${results.machine?.node?.replace(/^v/, '')}`
  const bareRate = (results.http ?? [])
    .find((t) => t.node === here)
    ?.rows.find((r) => r.setup === 'bare' && r.connections === 50)?.rps
  add(
    "spans/s delivered with zero drops, moderate preset, vs bare Fastify's req/s (-c 50) on this Node",
    `>= ${bareRate ?? "bare's req/s"}`,
    moderate,
    bareRate === undefined ? undefined : moderate >= bareRate
  )
  const devNull = results.logs?.find((row) => row.destination === "pino.destination('/dev/null')")
  add(
    "log line with export on vs pino alone (pino.destination('/dev/null'))",
    '<= 1.5x',
    devNull?.ratio,
    devNull?.ratio <= 1.5
  )
  return targets
}
