import {
  type Attributes,
  type BatchObservableCallback,
  createNoopMeter,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type MeterOptions,
  type MeterProvider,
  type MetricOptions,
  type Observable,
  type UpDownCounter
} from '@opentelemetry/api'
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads'
import { diag, metrics } from '../../context/otel-api.js'
import {
  type InstrumentKind,
  MAX_HISTOGRAM_VALUES,
  METRICS_CHANNEL,
  METRICS_MARK,
  type MetricsMessage
} from '../protocol/relayed-metrics.js'

/** One attribute set of one instrument, since the last message. */
interface Pending {
  attributes: Attributes
  /** Counters: the sum; gauges: the last value. */
  value: number
  /** Histograms: every value. */
  values: number[]
}

interface InstrumentInfo {
  scopeName: string
  scopeVersion: string
  kind: InstrumentKind
  name: string
  options: MetricOptions
  pending: Map<string, Pending>
}

const touched = new Set<InstrumentInfo>()
let dropped = 0
let scheduled = false
let channel: BroadcastChannel | undefined
let warnedObservable = false

/**
 * The worker's MeterProvider: instruments that keep what they are given until the end of the
 * turn, then post it home (protocol/relayed-metrics.ts). Observable instruments are not relayed:
 * their callbacks run when the main thread collects, which cannot reach into a worker.
 */
class RelayMeterProvider implements MeterProvider {
  getMeter (name: string, version = '', _options?: MeterOptions): Meter {
    return relayMeter(name, version)
  }
}

function relayMeter (scopeName: string, scopeVersion: string): Meter {
  const noop = createNoopMeter()
  const make = (kind: InstrumentKind, name: string, options: MetricOptions = {}): InstrumentInfo => ({
    scopeName,
    scopeVersion,
    kind,
    name,
    options: { ...options },
    pending: new Map()
  })
  const observable = <T extends Observable>(made: T): T => {
    if (!warnedObservable) {
      warnedObservable = true
      diag.warn(
        'fastify-otel-kit: observable instruments made in a worker thread are not relayed to the main thread ' +
          '(their callbacks run when the main thread collects); record with a counter or a gauge instead.'
      )
    }
    return made
  }
  return {
    createCounter: (name, options) => recorder(make('counter', name, options)) as Counter,
    createUpDownCounter: (name, options) => recorder(make('upDownCounter', name, options)) as UpDownCounter,
    createHistogram: (name, options) => recorder(make('histogram', name, options)) as Histogram,
    createGauge: (name, options) => recorder(make('gauge', name, options)) as Gauge,
    createObservableCounter: (name, options) => observable(noop.createObservableCounter(name, options)),
    createObservableUpDownCounter: (name, options) => observable(noop.createObservableUpDownCounter(name, options)),
    createObservableGauge: (name, options) => observable(noop.createObservableGauge(name, options)),
    addBatchObservableCallback: (_callback: BatchObservableCallback, _observables: Observable[]) => {},
    removeBatchObservableCallback: (_callback: BatchObservableCallback, _observables: Observable[]) => {}
  }
}

function recorder (info: InstrumentInfo): {
  add: (v: number, a?: Attributes) => void
  record: (v: number, a?: Attributes) => void
} {
  const take = (value: number, attributes: Attributes = {}): void => {
    if (typeof value !== 'number' || Number.isNaN(value)) return
    if (info.kind === 'counter' && value < 0) return
    const key = attributeKey(attributes)
    let pending = info.pending.get(key)
    if (pending === undefined) {
      pending = { attributes: { ...attributes }, value: 0, values: [] }
      info.pending.set(key, pending)
    }
    if (info.kind === 'histogram') {
      if (pending.values.length < MAX_HISTOGRAM_VALUES) pending.values.push(value)
      else dropped++
    } else if (info.kind === 'gauge') {
      pending.value = value
    } else {
      pending.value += value
    }
    touched.add(info)
    if (!scheduled) {
      scheduled = true
      queueMicrotask(post)
    }
  }
  return { add: take, record: take }
}

/** Posts what the turn recorded, as one message. */
function post (): void {
  scheduled = false
  const message: MetricsMessage = [METRICS_MARK, threadId, dropped]
  dropped = 0
  for (const info of touched) {
    for (const pending of info.pending.values()) {
      message.push(
        info.scopeName,
        info.scopeVersion,
        info.kind,
        info.name,
        info.options,
        pending.attributes,
        info.kind === 'histogram' ? pending.values : pending.value
      )
    }
    info.pending.clear()
  }
  touched.clear()
  if (channel === undefined) {
    channel = new BroadcastChannel(METRICS_CHANNEL)
    // Never what keeps a worker alive.
    channel.unref()
  }
  channel.postMessage(message)
}

function attributeKey (attributes: Attributes): string {
  const keys = Object.keys(attributes)
  if (keys.length === 0) return ''
  keys.sort()
  return JSON.stringify(keys.map((k) => [k, attributes[k]]))
}

let registered = false

/**
 * Once per worker thread, before the worker's own modules load (instruments take their meter
 * when made, and the Metrics API has no proxy to point later): the relay MeterProvider as the
 * global one. One the application registered in this thread first is kept.
 */
export function registerWorkerMetrics (): void {
  if (registered || isMainThread) return
  registered = true
  metrics.setGlobalMeterProvider(new RelayMeterProvider())
}
