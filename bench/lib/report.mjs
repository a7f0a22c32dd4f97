// The markdown report of one run: the machine, then one table per scenario, then the targets.

/** A difference with its sign: +0.61, -0.05. */
export const signed = (value) => `${value >= 0 ? '+' : ''}${value.toFixed(2)}`

export function renderMarkdown (r) {
  const out = []
  const m = r.machine
  out.push(`### Benchmark results (${r.mode} run, ${r.date.slice(0, 10)})`, '')
  out.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; ` +
      `server and load generator ${m.taskset ? 'pinned to different cores (taskset)' : 'not pinned (no taskset)'}. ` +
      `Commit ${m.commit}. Reproduce: \`${r.command}\`.`,
    ''
  )
  if (r.mode === 'quick') {
    out.push(
      '> Quick run: one round of short measurements. It shows that every scenario runs; ' +
        'its ratios swing by 10-20 % from run to run on a shared machine. Judge targets on a full run.',
      ''
    )
  }
  for (const table of r.http ?? []) {
    out.push(
      `**HTTP overhead, servers on Node ${table.node}** ` +
        '(autocannon, pipelining 1, medians over rounds; ratios of bare Fastify in the same run)',
      ''
    )
    out.push('| setup | -c | req/s | ratio | p99 ms | server CPU us/req | CPU ratio | spans exported / dropped |')
    out.push('|---|---:|---:|---:|---:|---:|---:|---|')
    for (const row of table.rows) {
      const spans = row.spans.ended === 0 ? '-' : `${row.spans.exported} / ${row.spans.dropped}`
      out.push(
        `| ${row.label} | ${row.connections} | ${row.rps} | ${row.ratio.toFixed(2)} | ${row.p99} | ` +
          `${row.cpuMicrosPerRequest ?? '-'} | ${row.cpuRatio?.toFixed(2) ?? '-'} | ${spans} |`
      )
    }
    out.push('')
  }
  if (r.micro !== undefined) {
    out.push('**Propagation micro-costs** (tinybench, mean ns per operation)', '')
    out.push('| operation | ns/op |', '|---|---:|')
    for (const row of r.micro) out.push(`| ${row.name} | ${row.nsPerOp} |`)
    out.push('')
  }
  if (r.encoder !== undefined) {
    out.push(
      '**OTLP encoding** (batches of 512, CPU time per item, medians over rounds; the floor copies the same bytes)',
      ''
    )
    out.push("| items | encoder | us per item | bytes per item | ratio to upstream's |", '|---|---|---:|---:|---:|')
    for (const row of r.encoder) {
      out.push(
        `| ${row.items} | ${row.name} | ${row.microsPerItem} | ${row.bytesPerItem} | ` +
          `${row.ratioToUpstream.toFixed(2)} |`
      )
    }
    out.push('')
  }
  if (r.workers !== undefined) {
    out.push('**Thread boundary** (Piscina, one worker thread; microseconds per task)', '')
    out.push(
      '| task | pool.run | runInWorker, context only | ratio | runInWorker, span relayed | ratio | ' +
        'propagation delta | relay delta | traced pool, context only | ratio | traced pool, span relayed | ratio |'
    )
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for (const row of r.workers.rows) {
      const traced =
        row.tracedPoolContextOnlyMicros === undefined
          ? '- | - | - | -'
          : `${row.tracedPoolContextOnlyMicros} | ${row.tracedPoolContextOnlyRatio.toFixed(2)} | ` +
            `${row.tracedPoolRelayedMicros} | ${row.tracedPoolRelayedRatio.toFixed(2)}`
      out.push(
        `| ${row.task} | ${row.rawMicros} | ${row.contextOnlyMicros} | ${row.contextOnlyRatio.toFixed(2)} | ` +
          `${row.relayedMicros} | ${row.relayedRatio.toFixed(2)} | ${row.propagationDeltaMicros} | ` +
          `${row.relayDeltaMicros} | ${traced} |`
      )
    }
    out.push('')
  }
  if (r.pipeline !== undefined) {
    out.push('**Pipeline** (batch processor + OTLP/gRPC exporter to a receiver in another process)', '')
    out.push(
      '| preset | spans/s held (every step up to it without a drop) | offered when drops began | dropped then | ' +
        'delivered then /s |'
    )
    out.push('|---|---:|---:|---:|---:|')
    for (const s of r.pipeline.summary) {
      out.push(
        `| ${s.preset} | ${s.maxZeroDropSpansPerSecond} | ${s.overloadOfferedPerSecond ?? 'none in this run'} | ` +
          `${s.overloadDropped ?? '-'} | ${s.overloadDeliveredPerSecond ?? '-'} |`
      )
    }
    out.push(
      '',
      '| preset | queue | bytes per queued span | full queue | commonly quoted estimate |',
      '|---|---:|---:|---:|---:|'
    )
    for (const h of r.pipeline.heap) {
      out.push(
        `| ${h.preset} | ${h.queue} | ${h.bytesPerSpan} | ` +
          `${h.fullQueueMegabytes} MB | ~${h.quotedEstimateMegabytes} MB |`
      )
    }
    const rec = r.pipeline.recovery
    if (rec !== undefined) {
      out.push(
        '',
        `Export resumed after the collector came back from a ${rec.outageMillis / 1000} s outage ` +
          `(ms, ${rec.rounds} round(s); same retry policy and batch processor):`,
        ''
      )
      out.push('| gRPC transport | each round | median |', '|---|---|---:|')
      out.push(
        "| OpenTelemetry JS's (grpc-js reconnect backoff up to 120 s) | " +
          `${rec.upstreamMillis.join(', ')} | ${rec.upstreamMedian} |`
      )
      out.push(
        `| the plugin's (reconnect backoff capped at 1 s) | ${rec.pluginMillis.join(', ')} | ${rec.pluginMedian} |`
      )
    }
    if (r.pipeline.outages?.length > 0) {
      out.push(
        '',
        'A collector restart, spans offered at a steady rate the whole time ' +
          '(moderate preset; lost = dropped + failed):',
        ''
      )
      out.push('| protocol | outage | spans/s | retries | made | lost | retries before (5 attempts) | lost before |')
      out.push('|---|---:|---:|---|---:|---:|---|---:|')
      for (const o of r.pipeline.outages) {
        out.push(
          `| ${o.protocol} | ${o.outageMillis / 1000} s | ${o.spansPerSecond} | for up to 60 s (default) | ` +
            `${o.defaults.created} | ${o.defaults.dropped + o.defaults.failed} | 5 attempts within 30 s | ` +
            `${o.before.dropped + o.before.failed} of ${o.before.created} |`
        )
      }
    }
    out.push('')
  }
  if (r.lifecycle !== undefined) {
    const first = r.lifecycle[0]
    out.push(
      "**Lifecycle timing, in process** (a route where nothing is slow; each process runs two modes' routes " +
        `taking turns request by request, ${first?.requests ?? '-'} app.inject() each; ` +
        'the difference of their medians, per process and the median over processes)',
      ''
    )
    out.push('| mode | against | per process, us | median, us per request | spans dropped |', '|---|---|---|---:|---:|')
    for (const row of r.lifecycle) {
      const each = row.deltasMicros.map(signed).join(', ')
      out.push(
        `| \`'${row.mode}'\` | \`'${row.against}'\` | ${each} | ${signed(row.medianDeltaMicros)} | ` +
          `${row.spansDropped ?? '-'} |`
      )
    }
    out.push('')
  }
  if (r.overhead !== undefined) {
    out.push(
      '**The request path over bare Fastify, in process** (a bare app and a traced one taking turns request by ' +
        `request, ${r.overhead[0]?.requests ?? '-'} app.inject() each, sampled, an exporter that only counts; ` +
        "exports are outside the medians: an exporter's cost is in the HTTP rows, not here)",
      ''
    )
    out.push('| setup | per process, us | median, us per request | spans dropped |', '|---|---|---:|---:|')
    for (const row of r.overhead) {
      const each = row.overMicros.map(signed).join(', ')
      out.push(`| ${row.label} | ${each} | ${signed(row.medianOverMicros)} | ${row.dropped} |`)
    }
    out.push('')
  }
  if (r.logs !== undefined) {
    out.push(
      '**Log export** (request.log inside a span, pino alone and with export on, same run: ' +
        'CPU time of the process per line, and time inside the log call per line)',
      ''
    )
    out.push(
      '| pino destination | CPU/line, pino alone ns | CPU/line, export on ns | ratio | ' +
        'in the call, pino alone ns | in the call, export on ns | records exported / dropped |'
    )
    out.push('|---|---:|---:|---:|---:|---:|---|')
    for (const row of r.logs) {
      out.push(
        `| ${row.destination} | ${row.pinoAloneNs} | ${row.exportOnNs} | ${row.ratio.toFixed(2)} | ` +
          `${row.callPinoAloneNs} | ${row.callExportOnNs} | ${row.exported} / ${row.dropped} |`
      )
    }
    out.push('')
  }
  if (r.targets?.length > 0) {
    out.push('**Targets**', '', '| target | goal | this run | |', '|---|---|---:|---|')
    for (const t of r.targets) {
      const verdict = t.met === undefined ? 'not measured' : t.met ? 'met' : 'missed'
      out.push(`| ${t.name} | ${t.goal} | ${t.value ?? '-'} | ${verdict} |`)
    }
    out.push('')
  }
  return out.join('\n')
}
