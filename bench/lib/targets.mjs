// The targets, checked against one run's figures. A miss is reported, never hidden.
export function evaluateTargets (results) {
  const targets = []
  const add = (name, goal, value, met) => targets.push({ name, goal, value, met: value === undefined ? undefined : met })
  const http = results.http ?? []
  const at50 = (id, field = 'ratio') => http.find((r) => r.setup === id && r.connections === 50)?.[field]
  const off = at50('off')
  const unsampled = at50('unsampled')
  const sampled = at50('sampled')
  const peer = at50('fastify-otel')
  add('tracing off vs bare Fastify (req/s, -c 50)', '>= 0.97', off, off >= 0.97)
  add('unsampled parent vs bare Fastify (req/s, -c 50)', '>= 0.80', unsampled, unsampled >= 0.80)
  add('sampled, no-op exporter vs bare Fastify (req/s, -c 50)', '>= 0.65', sampled, sampled >= 0.65)
  const speedup = sampled !== undefined && peer !== undefined ? Number((sampled / peer).toFixed(2)) : undefined
  add('sampled vs @fastify/otel (req/s, -c 50)', '>= 1.3x', speedup, speedup >= 1.3)
  const cpuSpeedup = at50('sampled', 'cpuMicrosPerRequest') !== undefined && at50('fastify-otel', 'cpuMicrosPerRequest') !== undefined
    ? Number((at50('fastify-otel', 'cpuMicrosPerRequest') / at50('sampled', 'cpuMicrosPerRequest')).toFixed(2))
    : undefined
  add('sampled vs @fastify/otel (server CPU per request, -c 50)', '>= 1.3x', cpuSpeedup, cpuSpeedup >= 1.3)
  const noop = results.workers?.rows.find((r) => r.task === 'no-op task')
  const pipelined = results.workers?.rows.find((r) => r.task.startsWith('no-op task,'))
  add('runInWorker, context only vs pool.run (no-op, one at a time)', '<= 1.05x', noop?.contextOnlyRatio, noop?.contextOnlyRatio <= 1.05)
  add('runInWorker, context only vs pool.run (no-op, 32 in flight)', '<= 1.05x', pipelined?.contextOnlyRatio, pipelined?.contextOnlyRatio <= 1.05)
  add('runInWorker, span relayed vs pool.run (no-op, one at a time)', '<= 1.25x', noop?.relayedRatio, noop?.relayedRatio <= 1.25)
  add('runInWorker, span relayed vs pool.run (no-op, 32 in flight)', '<= 1.25x', pipelined?.relayedRatio, pipelined?.relayedRatio <= 1.25)
  add('propagation delta per crossing (32 in flight)', '<= 3 us', pipelined?.propagationDeltaMicros, pipelined?.propagationDeltaMicros <= 3)
  const best = Math.max(...(results.pipeline?.summary ?? []).map((s) => s.maxZeroDropSpansPerSecond))
  add('spans/s delivered with zero drops, best preset', '>= 30000', Number.isFinite(best) ? best : undefined, best >= 30000)
  return targets
}
