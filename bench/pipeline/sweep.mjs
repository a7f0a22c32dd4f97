// The pipeline's zero-drop rate per preset alone (no heap, recovery or outage runs): the same
// throughput steps as `npm run bench -- --only pipeline`, for a quick look at one change.
//   node bench/pipeline/sweep.mjs [seconds=2] [rates=40000,60000,80000,100000] [presets=moderate,aggressive]
import { fileURLToPath } from 'node:url'
import { startNode } from '../lib/processes.mjs'

const here = (file) => fileURLToPath(new URL(file, import.meta.url))
const [seconds = '2', rates = '40000,60000,80000,100000', presets = 'moderate,aggressive'] = process.argv.slice(2)
const receiver = startNode(here('../lib/receiver-process.mjs'), [], { core: 1 })
const { endpoint } = await receiver.next()
const load = startNode(
  here('./throughput.mjs'),
  [endpoint, seconds, JSON.stringify(rates.split(',').map(Number)), JSON.stringify(presets.split(','))],
  { core: 0 }
)
for (;;) {
  const message = await load.next()
  if (message.done) break
  receiver.send('reset')
  load.send('next')
  const step = await load.next()
  receiver.send('count')
  const { spans } = await receiver.next()
  console.log(
    `${step.preset.padEnd(12)} offered ${String(step.offeredPerSecond).padStart(6)}/s: ` +
      `delivered ${String(Math.round(spans / Number(seconds))).padStart(6)}/s, ` +
      `dropped ${step.dropped}, failed ${step.failed}`
  )
  load.send('next')
}
await load.stop()
await receiver.stop()
