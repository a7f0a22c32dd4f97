// HTTP overhead. Every setup runs in its own server process on core 0 and autocannon on core 1
// (taskset). Each round starts fresh server processes (a process's memory layout and JIT
// decisions alone move throughput by several percent), warms each up, then measures each at
// every connection count; rows report medians over rounds and ratios to bare Fastify's median in
// the same run. Next to req/s, the server's CPU time per request (utime + stime from /proc) is a
// steadier view of the same cost on a shared machine.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { median, startNode } from '../lib/processes.mjs'

const here = (file) => fileURLToPath(new URL(file, import.meta.url))
const UNSAMPLED = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' }

export const SETUPS = [
  { id: 'bare', label: 'bare Fastify' },
  { id: 'off', label: 'plugin, tracing off (OTEL_SDK_DISABLED)' },
  { id: 'unsampled', label: 'plugin, unsampled parent', headers: UNSAMPLED },
  { id: 'sampled', label: 'plugin, sampled, batch + no-op exporter' },
  { id: 'lifecycle-off', label: "plugin, sampled, batch + no-op exporter, lifecycleSpans: 'off'" },
  { id: 'lifecycle-all', label: "plugin, sampled, batch + no-op exporter, lifecycleSpans: 'all'" },
  { id: 'unsampled-metrics', label: 'plugin, unsampled parent, + request metrics', headers: UNSAMPLED },
  { id: 'sampled-metrics', label: 'plugin, sampled, no-op exporter, + request metrics' },
  {
    id: 'sampled-metrics-runtime',
    label: 'plugin, sampled, no-op exporter, + request and runtime metrics (the default set)'
  },
  { id: 'otlp', label: 'plugin, sampled, OTLP/gRPC to a receiver process' },
  { id: 'otlp-http', label: 'plugin, sampled, OTLP/HTTP (protobuf) to a receiver process' },
  {
    id: 'preload',
    label: 'preload (instrumentation-http + undici) + plugin, sampled, OTLP/gRPC to a receiver process',
    nodeArgs: ['--import', 'fastify-otel-kit/register'],
    env: (endpoint) => ({
      OTEL_SERVICE_NAME: 'bench',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      // Traces only, as measured before metrics existed; the metrics rows are measured apart.
      OTEL_METRICS_EXPORTER: 'none'
    })
  },
  { id: 'fastify-otel', label: '@fastify/otel, same SDK settings, no-op exporter' },
  {
    id: 'fastify-otel-grpc',
    label: "@fastify/otel on upstream's BatchSpanProcessor + OTLP/gRPC exporter, to a receiver process"
  },
  {
    id: 'fastify-otel-http',
    label: "@fastify/otel on upstream's BatchSpanProcessor + OTLP/HTTP (protobuf) exporter, to a receiver process"
  },
  { id: 'http-instrumentation', label: 'instrumentation-http, no-op exporter' },
  {
    id: 'http-instrumentation-grpc',
    label: "instrumentation-http on upstream's BatchSpanProcessor + OTLP/gRPC exporter, to a receiver process"
  },
  {
    id: 'http-instrumentation-http',
    label:
      "instrumentation-http on upstream's BatchSpanProcessor + OTLP/HTTP (protobuf) exporter, " +
      'to a receiver process'
  }
]

/** The setups that run this package (the others are upstream's pipelines, the same in any checkout). */
export const PLUGIN_SETUPS = [
  'off',
  'unsampled',
  'sampled',
  'unsampled-metrics',
  'sampled-metrics',
  'sampled-metrics-runtime',
  'lifecycle-off',
  'lifecycle-all',
  'otlp',
  'otlp-http',
  'preload'
]

/** CPU ticks (1/100 s) a process has used, or undefined where /proc is not there. */
function cpuTicks (pid) {
  const file = `/proc/${pid}/stat`
  if (!existsSync(file)) return undefined
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** One table: every setup's servers run on the Node binary at `execPath` (the load generator on this one). */
export async function runHttp ({
  rounds,
  seconds,
  warmupSeconds,
  connections,
  setups = SETUPS,
  execPath = process.execPath,
  log
}) {
  const receiver = startNode(here('../lib/receiver-process.mjs'), [], { core: 1 })
  const { endpoint, httpEndpoint } = await receiver.next()
  const samples = new Map(setups.map((s) => [s.id, new Map(connections.map((c) => [c, []]))]))
  const spans = new Map(setups.map((s) => [s.id, { ended: 0, exported: 0, dropped: 0 }]))
  for (let round = 1; round <= rounds; round++) {
    const servers = new Map()
    await Promise.all(
      setups.map(async (setup) => {
        // A setup may come from another checkout (--against): its own server script and setup name.
        const server = startNode(setup.server ?? here('./server.mjs'), [setup.serverSetup ?? setup.id], {
          core: 0,
          execPath,
          nodeArgs: setup.nodeArgs ?? [],
          env: { BENCH_OTLP_ENDPOINT: endpoint, BENCH_OTLP_HTTP_ENDPOINT: httpEndpoint, ...setup.env?.(endpoint) },
          ...(setup.cwd === undefined ? {} : { cwd: setup.cwd })
        })
        const { port } = await server.next()
        servers.set(setup.id, {
          server,
          url: `http://127.0.0.1:${port}/orders/42`,
          headers: JSON.stringify(setup.headers ?? {})
        })
      })
    )
    // Alternate the order round by round, so no setup always comes first or last.
    const order = round % 2 === 1 ? setups : [...setups].reverse()
    for (const [i, c] of connections.entries()) {
      for (const setup of order) {
        const { server, url, headers } = servers.get(setup.id)
        // The first measurement of each fresh server starts with its warm-up, in the same process;
        // the CPU counter is read after it.
        const warmup = i === 0 ? warmupSeconds : 0
        const loadArgs = [url, String(c), String(seconds), headers, String(warmup)]
        const load = startNode(here('./load.mjs'), loadArgs, { core: 1 })
        if (warmup > 0) await load.next()
        const before = cpuTicks(server.child.pid)
        load.send('go')
        const result = await load.next()
        const after = cpuTicks(server.child.pid)
        await load.stop()
        if (result.errors > 0 || result.non2xx > 0) {
          throw new Error(`${setup.id}: ${result.errors} errors, ${result.non2xx} non-2xx responses`)
        }
        result.cpuMicrosPerRequest = before === undefined ? undefined : ((after - before) * 10_000) / result.total
        samples.get(setup.id).get(c).push(result)
        log(
          `  round ${round} -c ${String(c).padEnd(3)} ${setup.id.padEnd(21)} ` +
            `${String(Math.round(result.rps)).padStart(6)} req/s  p99 ${result.p99} ms  ` +
            `cpu ${result.cpuMicrosPerRequest?.toFixed(1) ?? '?'} us/req`
        )
      }
    }
    for (const setup of setups) {
      const { server } = servers.get(setup.id)
      server.send('stats')
      const counted = await server.next()
      const total = spans.get(setup.id)
      for (const key of ['ended', 'exported', 'dropped']) total[key] += counted[key] ?? 0
      await server.stop()
    }
  }
  await receiver.stop()

  const rows = []
  for (const c of connections) {
    const bare = samples.get('bare').get(c)
    const bareRps = median(bare.map((r) => r.rps))
    const bareCpu = median(bare.map((r) => r.cpuMicrosPerRequest ?? NaN))
    for (const setup of setups) {
      const runs = samples.get(setup.id).get(c)
      const rps = median(runs.map((r) => r.rps))
      const cpu = median(runs.map((r) => r.cpuMicrosPerRequest ?? NaN))
      rows.push({
        setup: setup.id,
        label: setup.label,
        connections: c,
        rps: Math.round(rps),
        ratio: Number((rps / bareRps).toFixed(3)),
        p99: median(runs.map((r) => r.p99)),
        cpuMicrosPerRequest: Number.isNaN(cpu) ? undefined : Number(cpu.toFixed(1)),
        cpuRatio: Number.isNaN(cpu) ? undefined : Number((bareCpu / cpu).toFixed(3)),
        samples: runs.map((r) => Math.round(r.rps)),
        spans: spans.get(setup.id)
      })
    }
  }
  return rows
}
