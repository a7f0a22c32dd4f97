import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api'
import { hrTime, type InstrumentationScope } from '@opentelemetry/core'
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type Histogram,
  type IMetricReader,
  InstrumentType,
  type MetricData,
  type MetricProducer
} from '@opentelemetry/sdk-metrics'
import { resourceFromAttributes } from '@opentelemetry/resources'
import type { Stream } from './instrument-streams.js'
import {
  type ActiveSeries,
  DEFAULT_CARDINALITY_LIMIT,
  type DurationSeries,
  type RequestMetrics
} from './request-metrics.js'

/** The streams the views make of the two instruments (instrument-streams.ts). */
export interface RequestMetricStreams {
  duration: Stream[]
  active: Stream[]
  /** fastify.request.uncovered.duration; none: not exported. */
  uncovered?: Stream[]
}

/** What a set contributed when a delta reader last collected. */
interface Seen {
  count: number
  sum: number
  counts: Float64Array
  value: number
  adds: number
}

const OVERFLOW: Attributes = Object.freeze({ 'otel.metric.overflow': true })
const NO_RESOURCE = resourceFromAttributes({})

/**
 * The request metrics as one reader collects them: the table's sets (request-metrics.ts) as the
 * SDK's metric data, in the reader's temporality, one metric per stream of the views. A delta
 * reader gets what happened since it last collected (sets with no news are left out, as the SDK
 * leaves out its accumulations), with the least and greatest value of that interval; a
 * cumulative reader gets every set since it was first recorded. Attribute processors of a view
 * run per set here, not per request: sets that become equal are added together.
 */
export class RequestMetricsProducer implements MetricProducer {
  private readonly durationDelta: boolean
  private readonly activeDelta: boolean
  private readonly slot: number | undefined
  private readonly seen = new Map<object, Seen>()
  private lastCollection: HrTime

  constructor (
    private readonly table: RequestMetrics,
    private readonly streams: RequestMetricStreams,
    private readonly scope: InstrumentationScope,
    reader: Pick<IMetricReader, 'selectAggregationTemporality'>
  ) {
    this.durationDelta = reader.selectAggregationTemporality(InstrumentType.HISTOGRAM) === AggregationTemporality.DELTA
    this.activeDelta =
      reader.selectAggregationTemporality(InstrumentType.UP_DOWN_COUNTER) === AggregationTemporality.DELTA
    this.slot = this.durationDelta ? table.addDeltaSlot() : undefined
    this.lastCollection = hrTime()
  }

  async collect (): Promise<CollectionResult> {
    const endTime = hrTime()
    const metrics: MetricData[] = []
    for (const stream of this.streams.duration) {
      if (stream.aggregation !== 'drop') metrics.push(this.durationMetric(stream, this.table.durations, endTime))
    }
    for (const stream of this.streams.uncovered ?? []) {
      if (stream.aggregation !== 'drop') metrics.push(this.durationMetric(stream, this.table.uncovered, endTime))
    }
    for (const stream of this.streams.active) {
      if (stream.aggregation !== 'drop') metrics.push(this.activeMetric(stream, endTime))
    }
    this.remember()
    this.lastCollection = endTime
    // A metric with no point is left out, as the SDK leaves it out (nothing recorded yet, or no news
    // for a delta reader).
    const withPoints = metrics.filter((metric) => metric.dataPoints.length > 0)
    return {
      resourceMetrics: { resource: NO_RESOURCE, scopeMetrics: [{ scope: this.scope, metrics: withPoints }] },
      errors: []
    }
  }

  private durationMetric (stream: Stream, sets: readonly DurationSeries[], endTime: HrTime): MetricData {
    const delta = this.durationDelta
    const temporality = delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE
    const boundaries = [...this.table.boundaries]
    const groups = new Map<string, { attributes: Attributes; startTime: HrTime; value: Histogram }>()
    const slot = this.slot
    for (const series of sets) {
      const before = delta ? this.seen.get(series) : undefined
      const count = series.count - (before?.count ?? 0)
      if (delta && count === 0) continue
      const counts = Array.from(series.counts, (c, i) => c - (before?.counts[i] ?? 0))
      let min = series.min
      let max = series.max
      let sum = series.sum
      if (slot !== undefined) {
        sum = series.slotSum[slot] ?? 0
        min = series.slotMin[slot] ?? Infinity
        max = series.slotMax[slot] ?? -Infinity
      }
      // The SDK's point: min and max only when recorded (the keys are there either way).
      const hasMinMax = stream.recordMinMax && min !== Infinity
      const value: Histogram = {
        min: hasMinMax ? min : undefined,
        max: hasMinMax ? max : undefined,
        sum,
        buckets: { boundaries, counts },
        count
      }
      const startTime = delta && before !== undefined ? this.lastCollection : series.startTime
      addTo(groups, stream, series.attributes, startTime, value, mergeHistograms)
    }
    const dataPoints = limit(groups, stream).map(({ attributes, startTime, value }): DataPoint<Histogram> => ({
      startTime,
      endTime,
      attributes,
      value
    }))
    if (stream.aggregation === 'sum') {
      return {
        descriptor: descriptorOf(stream, ValueType.DOUBLE),
        aggregationTemporality: temporality,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints: dataPoints.map((p) => ({ ...p, value: p.value.sum ?? 0 }))
      }
    }
    return {
      descriptor: descriptorOf(stream, ValueType.DOUBLE),
      aggregationTemporality: temporality,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints
    }
  }

  private activeMetric (stream: Stream, endTime: HrTime): MetricData {
    const delta = this.activeDelta
    const groups = new Map<string, { attributes: Attributes; startTime: HrTime; value: number }>()
    for (const series of this.table.active) {
      const before = delta ? this.seen.get(series) : undefined
      if (delta && series.adds === (before?.adds ?? 0)) continue
      const startTime = delta && before !== undefined ? this.lastCollection : series.startTime
      addTo(groups, stream, series.attributes, startTime, series.value - (before?.value ?? 0), (a, b) => a + b)
    }
    return {
      descriptor: descriptorOf(stream, ValueType.INT),
      aggregationTemporality: delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: false,
      dataPoints: limit(groups, stream).map(({ attributes, startTime, value }) => ({
        startTime,
        endTime,
        attributes,
        value
      }))
    }
  }

  /** After a delta collection: where each set stands now, and a fresh interval for min and max. */
  private remember (): void {
    if (this.durationDelta) {
      for (const series of [...this.table.durations, ...this.table.uncovered]) {
        rememberDuration(this.seen, series)
        if (this.slot !== undefined && this.slot < series.slotMin.length) {
          series.slotSum[this.slot] = 0
          series.slotMin[this.slot] = Infinity
          series.slotMax[this.slot] = -Infinity
        }
      }
    }
    if (this.activeDelta) {
      for (const series of this.table.active) rememberActive(this.seen, series)
    }
  }
}

/** A metric's descriptor as the view's stream names and describes it. */
function descriptorOf (stream: Stream, valueType: ValueType): MetricData['descriptor'] {
  return { name: stream.name, description: stream.description, unit: stream.unit, valueType }
}

function rememberDuration (seen: Map<object, Seen>, series: DurationSeries): void {
  seen.set(series, { count: series.count, sum: series.sum, counts: series.counts.slice(), value: 0, adds: 0 })
}

function rememberActive (seen: Map<object, Seen>, series: ActiveSeries): void {
  seen.set(series, { count: 0, sum: 0, counts: new Float64Array(0), value: series.value, adds: series.adds })
}

/** Sets whose processed attributes are equal are one point; without processors each set is its own. */
function addTo<V> (
  groups: Map<string, { attributes: Attributes; startTime: HrTime; value: V }>,
  stream: Stream,
  raw: Attributes,
  startTime: HrTime,
  value: V,
  merge: (a: V, b: V) => V
): void {
  const attributes = stream.attributes(raw)
  const key = attributeKey(attributes)
  const group = groups.get(key)
  if (group === undefined) {
    groups.set(key, { attributes, startTime, value })
  } else {
    group.value = merge(group.value, value)
    if (earlier(startTime, group.startTime)) group.startTime = startTime
  }
}

/** A view's cardinality limit: the first limit - 1 sets, the rest added into the overflow set. */
function limit<V extends Histogram | number> (
  groups: Map<string, { attributes: Attributes; startTime: HrTime; value: V }>,
  stream: Stream
): Array<{ attributes: Attributes; startTime: HrTime; value: V }> {
  const all = [...groups.values()]
  const max = stream.cardinalityLimit ?? DEFAULT_CARDINALITY_LIMIT
  if (all.length < max) return all
  const kept = all.slice(0, max - 1)
  let overflow = all[max - 1]!
  overflow = { ...overflow, attributes: OVERFLOW }
  for (const rest of all.slice(max)) {
    overflow.value = (
      typeof rest.value === 'number'
        ? (overflow.value as number) + rest.value
        : mergeHistograms(overflow.value as Histogram, rest.value)
    ) as V
  }
  return [...kept, overflow]
}

function mergeHistograms (a: Histogram, b: Histogram): Histogram {
  const hasMinMax = a.min !== undefined || b.min !== undefined
  return {
    min: hasMinMax ? Math.min(a.min ?? Infinity, b.min ?? Infinity) : undefined,
    max: hasMinMax ? Math.max(a.max ?? -Infinity, b.max ?? -Infinity) : undefined,
    sum: (a.sum ?? 0) + (b.sum ?? 0),
    buckets: {
      boundaries: a.buckets.boundaries,
      counts: a.buckets.counts.map((c, i) => c + (b.buckets.counts[i] ?? 0))
    },
    count: a.count + b.count
  }
}

/** The SDK's attribute set identity: sorted keys and their values. */
function attributeKey (attributes: Attributes): string {
  const keys = Object.keys(attributes).sort()
  return JSON.stringify(keys.map((key) => [key, attributes[key]]))
}

function earlier (a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])
}
