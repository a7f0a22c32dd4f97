import type { Attributes, Counter, Gauge, Histogram, Meter, MeterProvider, UpDownCounter } from '@opentelemetry/api'
import { BroadcastChannel } from 'node:worker_threads'
import { diag, metrics } from '../../context/otel-api.js'
import { ENTRY_FIELDS, type InstrumentKind, isMetricsMessage, METRICS_CHANNEL } from '../protocol/relayed-metrics.js'

type Instrument = Counter | UpDownCounter | Histogram | Gauge

let channel: BroadcastChannel | undefined
let instruments = new Map<string, Instrument>()
let instrumentsOf: MeterProvider | undefined
let warnedDropped = false

/**
 * Listens, once per process, for the measurements worker threads post (protocol/relayed-metrics.ts)
 * and records them into the main thread's global MeterProvider (the package's, or the
 * application's): the same instruments, the same scopes, so its views, readers and temporality
 * apply as to a measurement made here. Started by runInWorker; never keeps the process alive.
 */
export function listenForWorkerMetrics (): void {
  if (channel !== undefined) return
  channel = new BroadcastChannel(METRICS_CHANNEL)
  channel.unref()
  channel.onmessage = (event) => {
    try {
      deliver((event as MessageEvent).data)
    } catch (error) {
      diag.error(`fastify-otel-kit: measurements from a worker thread could not be recorded: ${String(error)}`)
    }
  }
}

function deliver (message: unknown): void {
  if (!isMetricsMessage(message)) return
  const provider = metrics.getMeterProvider()
  if (provider !== instrumentsOf) {
    instrumentsOf = provider
    instruments = new Map()
  }
  const dropped = message[2]
  if (dropped > 0 && !warnedDropped) {
    warnedDropped = true
    diag.warn(
      'fastify-otel-kit: a worker thread recorded more than the histogram values one message carries; ' +
        `${dropped} were dropped`
    )
  }
  const meters = new Map<string, Meter>()
  for (let i = 3; i + ENTRY_FIELDS <= message.length; i += ENTRY_FIELDS) {
    const [scopeName, scopeVersion, kind, name, options, attributes, value] = message.slice(i, i + ENTRY_FIELDS) as [
      string,
      string,
      InstrumentKind,
      string,
      Record<string, unknown>,
      Attributes,
      number | number[]
    ]
    const key = JSON.stringify([scopeName, scopeVersion, kind, name, options])
    let instrument = instruments.get(key)
    if (instrument === undefined) {
      const meterKey = `${scopeName}\u0000${scopeVersion}`
      let meter = meters.get(meterKey)
      if (meter === undefined) meters.set(meterKey, (meter = provider.getMeter(scopeName, scopeVersion)))
      instrument = make(meter, kind, name, options)
      instruments.set(key, instrument)
    }
    if (Array.isArray(value)) {
      for (const v of value) (instrument as Histogram).record(v, attributes)
    } else if (kind === 'gauge') {
      ;(instrument as Gauge).record(value, attributes)
    } else {
      ;(instrument as Counter).add(value, attributes)
    }
  }
}

function make (meter: Meter, kind: InstrumentKind, name: string, options: Record<string, unknown>): Instrument {
  switch (kind) {
    case 'counter':
      return meter.createCounter(name, options)
    case 'upDownCounter':
      return meter.createUpDownCounter(name, options)
    case 'histogram':
      return meter.createHistogram(name, options)
    case 'gauge':
      return meter.createGauge(name, options)
  }
}
