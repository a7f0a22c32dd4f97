// Pipeline: the most spans per second the plugin's batch processor and OTLP/gRPC exporter deliver
// to a loopback receiver (in another process, on the other core) without a drop, per preset; the
// drops when offered more; the heap a full queue retains, next to the commonly quoted estimates (5,
// 20 and 80 MB); how soon export resumes after the collector comes back, with upstream's gRPC
// transport and with ours; how long the span.end() that fills a batch takes with the SDK's batch
// processor and with ours; and how long a process lives on after close when the collector never
// answers, with either transport; and what a 30 s collector restart loses with the default retry
// budget and with the retries the package had before.
// docs/internals/upstream-parts.md quotes the last three.
import { fileURLToPath } from 'node:url'
import { runNode, startNode } from '../lib/processes.mjs'

const here = (file) => fileURLToPath(new URL(file, import.meta.url))
const QUOTED_MEGABYTES = { conservative: 5, moderate: 20, aggressive: 80 }

export async function runPipeline ({ seconds, rates, presets, recovery, log }) {
  const receiver = startNode(here('../lib/receiver-process.mjs'), [], { core: 1 })
  const { endpoint } = await receiver.next()
  const load = startNode(
    here('./throughput.mjs'),
    [endpoint, String(seconds), JSON.stringify(rates), JSON.stringify(presets)],
    { core: 0 }
  )
  const steps = []
  for (;;) {
    const message = await load.next()
    if (message.done) break
    receiver.send('reset')
    load.send('next')
    const step = await load.next()
    receiver.send('count')
    const { spans } = await receiver.next()
    const row = { ...step, delivered: spans, deliveredPerSecond: Math.round(spans / seconds) }
    log(
      `  ${step.preset.padEnd(12)} offered ${String(step.offeredPerSecond).padStart(6)}/s: ` +
        `delivered ${String(row.deliveredPerSecond).padStart(6)}/s, dropped ${step.dropped}, failed ${step.failed}`
    )
    steps.push(row)
    load.send('next')
  }
  await load.stop()
  await receiver.stop()

  const summary = presets.map((preset) => {
    const own = steps.filter((s) => s.preset === preset)
    const isClean = (s) => s.dropped === 0 && s.failed === 0 && s.delivered >= s.made
    // The rate a preset holds is the highest one with every step up to it clean: a clean step above
    // a step that dropped does not count (a pause that happened to miss it, not a rate held).
    const firstUnclean = own.findIndex((s) => !isClean(s))
    const clean = firstUnclean === -1 ? own : own.slice(0, firstUnclean)
    const best = clean.reduce((a, b) => (b.deliveredPerSecond > (a?.deliveredPerSecond ?? -1) ? b : a), undefined)
    const firstDrop = own.find((s) => s.dropped > 0)
    return {
      preset,
      maxZeroDropSpansPerSecond: best?.deliveredPerSecond ?? 0,
      overloadOfferedPerSecond: firstDrop?.offeredPerSecond,
      overloadDropped: firstDrop?.dropped,
      overloadDeliveredPerSecond: firstDrop?.deliveredPerSecond
    }
  })
  const heap = await runNode(here('./heap.mjs'), [], { nodeArgs: ['--expose-gc'] })
  for (const h of heap) h.quotedEstimateMegabytes = QUOTED_MEGABYTES[h.preset]
  for (const h of heap) {
    log(
      `  heap ${h.preset.padEnd(12)} ${h.bytesPerSpan} B per queued span, full queue of ${h.queue}: ` +
        `${h.fullQueueMegabytes} MB (commonly quoted: ~${h.quotedEstimateMegabytes} MB)`
    )
  }
  const resumed = await runNode(here('./recovery.mjs'), [String(recovery.rounds), String(recovery.outageMillis)])
  log(
    `  recovery after a ${resumed.outageMillis} ms outage: ` +
      `upstream transport ${resumed.upstreamMillis.join(', ')} ms, plugin's ${resumed.pluginMillis.join(', ')} ms`
  )
  const stall = await runNode(here('./end-stall.mjs'), [String(recovery.rounds > 1 ? 40 : 10)])
  const medians = (passes) => passes.map((p) => p.fillingEndMicros.median).join(', ')
  log(
    '  span.end() that fills a 512-span batch (median us): ' +
      `SDK processor ${medians(stall.sdk)}, plugin's ${medians(stall.ours)}`
  )
  // About 10 s per round (upstream's default export timeout): left out of the quick run.
  const hungExit = recovery.rounds > 1 ? await runNode(here('./hung-exit.mjs'), [String(recovery.rounds)]) : undefined
  if (hungExit !== undefined) {
    const { upstream, plugin } = hungExit.exitAfterCloseMillis
    log(
      '  process alive after close, collector never answering: ' +
        `upstream transport ${upstream.join(', ')} ms, plugin's ${plugin.join(', ')} ms`
    )
  }
  // A 30 s collector restart with the defaults and with the retries the package had before: a
  // minute and more per protocol, so left out of the quick run.
  const outages = []
  if (recovery.rounds > 1) {
    for (const protocol of ['grpc', 'http/protobuf']) {
      const o = await runNode(here('./outage.mjs'), ['30000', '50', protocol])
      log(
        `  ${o.outageMillis / 1000} s outage over ${protocol} at ${o.spansPerSecond} spans/s: defaults lost ` +
          `${o.defaults.dropped + o.defaults.failed} of ${o.defaults.created}, ` +
          `before ${o.before.dropped + o.before.failed} ` +
          `of ${o.before.created}`
      )
      outages.push(o)
    }
  }
  return { steps, summary, heap, recovery: resumed, endStall: stall, hungExit, outages }
}
