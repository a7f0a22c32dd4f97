import { readFields, type WireField } from '../sdk/export/protobuf/protowire.js'
import {
  type AttributeMap,
  double,
  fixed64,
  keyValues,
  messages,
  repeated64,
  repeatedVarint,
  resourceAndScopes,
  sfixed64,
  sint32,
  text,
  varint
} from './protobuf-values.js'

/**
 * Decodes an OTLP ExportMetricsServiceRequest (opentelemetry-proto, metrics/v1) into flat metrics
 * with their resource and scope. Exemplars are skipped.
 */

export type MetricType = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary'

export interface ExponentialBuckets {
  offset: number
  bucketCounts: number[]
}

export interface ReceivedDataPoint {
  attributes: AttributeMap
  startTimeUnixNano: bigint
  timeUnixNano: bigint
  /** Gauge and sum points: as_int (a number while exact, else a bigint) or as_double. */
  value?: number | bigint
  /** Histogram, exponential histogram and summary points. */
  count?: number
  sum?: number
  min?: number
  max?: number
  /** Explicit-bucket histograms: one more count than bounds. */
  bucketCounts?: number[]
  explicitBounds?: number[]
  /** Exponential histograms. */
  scale?: number
  zeroCount?: number
  positive?: ExponentialBuckets
  negative?: ExponentialBuckets
  flags: number
}

export interface ReceivedMetric {
  name: string
  description: string
  unit: string
  type: MetricType
  /** OTLP AggregationTemporality of sums and histograms: 1 delta, 2 cumulative; 0 for gauges and summaries. */
  temporality: number
  /** Sums only. */
  isMonotonic: boolean
  dataPoints: ReceivedDataPoint[]
  resource: AttributeMap
  scope: { name: string; version: string }
}

export const TEMPORALITY_NAMES = ['UNSPECIFIED', 'DELTA', 'CUMULATIVE']

/** Metric's data oneof: the field number of each type. */
const TYPE_FIELDS: ReadonlyArray<[MetricType, number]> = [
  ['gauge', 5],
  ['sum', 7],
  ['histogram', 9],
  ['exponentialHistogram', 10],
  ['summary', 11]
]

export function decodeMetricsRequest (request: Buffer): ReceivedMetric[] {
  const metrics: ReceivedMetric[] = []
  for (const resourceMetrics of messages(readFields(request), 1)) {
    const { resource, scopes } = resourceAndScopes(resourceMetrics)
    for (const { scope, items } of scopes) {
      for (const metric of items) metrics.push(decodeMetric(readFields(metric), resource, scope))
    }
  }
  return metrics
}

function decodeMetric (f: WireField[], resource: AttributeMap, scope: ReceivedMetric['scope']): ReceivedMetric {
  const [type, field] = TYPE_FIELDS.find(([, n]) => messages(f, n).length > 0) ?? []
  if (type === undefined || field === undefined) throw new RangeError(`metric '${text(f, 1)}' has no data`)
  const data = readFields(messages(f, field)[0]!)
  const points = messages(data, 1).map((point) => readFields(point))
  return {
    name: text(f, 1),
    description: text(f, 2),
    unit: text(f, 3),
    type,
    // Sum, Histogram, ExponentialHistogram: aggregation_temporality 2; Gauge and Summary have none.
    temporality: type === 'gauge' || type === 'summary' ? 0 : Number(varint(data, 2)),
    isMonotonic: type === 'sum' && varint(data, 3) === 1n,
    dataPoints: points.map((p) => DATA_POINT[type](p)),
    resource,
    scope
  }
}

const DATA_POINT: Record<MetricType, (p: WireField[]) => ReceivedDataPoint> = {
  gauge: numberPoint,
  sum: numberPoint,
  /** HistogramDataPoint: attributes 9, count 4, sum 5, bucket_counts 6, explicit_bounds 7, flags 10, min 11, max 12. */
  histogram: (p) => ({
    ...times(p),
    attributes: keyValues(p, 9),
    count: Number(fixed64(p, 4)),
    sum: double(p, 5),
    min: double(p, 11),
    max: double(p, 12),
    bucketCounts: repeated64(p, 6, 'fixed64'),
    explicitBounds: repeated64(p, 7, 'double'),
    flags: Number(varint(p, 10))
  }),
  /**
   * ExponentialHistogramDataPoint: attributes 1, count 4, sum 5, scale 6, zero_count 7, positive 8, negative 9,
   * flags 10, min 12, max 13.
   */
  exponentialHistogram: (p) => ({
    ...times(p),
    attributes: keyValues(p, 1),
    count: Number(fixed64(p, 4)),
    sum: double(p, 5),
    min: double(p, 12),
    max: double(p, 13),
    scale: sint32(p, 6),
    zeroCount: Number(fixed64(p, 7)),
    positive: buckets(p, 8),
    negative: buckets(p, 9),
    flags: Number(varint(p, 10))
  }),
  /** SummaryDataPoint: attributes 7, count 4, sum 5, flags 8 (quantiles are skipped). */
  summary: (p) => ({
    ...times(p),
    attributes: keyValues(p, 7),
    count: Number(fixed64(p, 4)),
    sum: double(p, 5),
    flags: Number(varint(p, 8))
  })
}

/** NumberDataPoint: attributes 7, as_double 4, as_int 6 (sfixed64), flags 8. */
function numberPoint (p: WireField[]): ReceivedDataPoint {
  const asDouble = double(p, 4)
  return {
    ...times(p),
    attributes: keyValues(p, 7),
    value: asDouble ?? sfixed64(p, 6),
    flags: Number(varint(p, 8))
  }
}

/** Every data point type has start_time_unix_nano 2 and time_unix_nano 3. */
function times (p: WireField[]): { startTimeUnixNano: bigint; timeUnixNano: bigint } {
  return { startTimeUnixNano: fixed64(p, 2), timeUnixNano: fixed64(p, 3) }
}

/** ExponentialHistogramDataPoint.Buckets { sint32 offset = 1; repeated uint64 bucket_counts = 2 } */
function buckets (p: WireField[], field: number): ExponentialBuckets {
  const message = messages(p, field)[0]
  const b = message === undefined ? [] : readFields(message)
  return { offset: sint32(b, 1), bucketCounts: repeatedVarint(b, 2) }
}
