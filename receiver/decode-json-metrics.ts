import type { ExponentialBuckets, MetricType, ReceivedDataPoint, ReceivedMetric } from './decode-metrics.js'
import { exactInteger } from './protobuf-values.js'
import {
  double,
  each,
  enumValue,
  int64,
  type JsonObject,
  JsonShapeError,
  keyValues,
  list,
  object,
  parseJsonMessage,
  resourceAndScopes,
  string,
  uint32
} from './json-values.js'

/**
 * Decodes an OTLP/JSON metrics request (what `application/json` exporters send to /v1/metrics) into
 * the same metrics as the protobuf decoder (decode-metrics.ts). Exemplars are skipped.
 */

const TYPES: readonly MetricType[] = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']

export function decodeJsonMetricsRequest (body: Buffer): ReceivedMetric[] {
  const metrics: ReceivedMetric[] = []
  for (const [resourceMetrics, path] of each(parseJsonMessage(body), 'resourceMetrics', '')) {
    const { resource, scopes } = resourceAndScopes(resourceMetrics, path, 'scopeMetrics', 'metrics')
    for (const { scope, items } of scopes) {
      for (const [metric, at] of items) metrics.push(decodeMetric(metric, at, resource, scope))
    }
  }
  return metrics
}

function decodeMetric (
  m: JsonObject,
  at: string,
  resource: ReceivedMetric['resource'],
  scope: ReceivedMetric['scope']
): ReceivedMetric {
  const type = TYPES.find((t) => m[t] !== undefined && m[t] !== null)
  if (type === undefined) throw new JsonShapeError(at, `one of ${TYPES.join(', ')}`, Object.keys(m))
  const data = object(m[type], `${at}.${type}`)
  const hasTemporality = type === 'sum' || type === 'histogram' || type === 'exponentialHistogram'
  return {
    name: string(m.name, `${at}.name`),
    description: string(m.description, `${at}.description`),
    unit: string(m.unit, `${at}.unit`),
    type,
    temporality: hasTemporality ? enumValue(data.aggregationTemporality, `${at}.${type}.aggregationTemporality`) : 0,
    isMonotonic: type === 'sum' && data.isMonotonic === true,
    dataPoints: each(data, 'dataPoints', `${at}.${type}`).map(([p, path]) => DATA_POINT[type](p, path)),
    resource,
    scope
  }
}

const DATA_POINT: Record<MetricType, (p: JsonObject, at: string) => ReceivedDataPoint> = {
  gauge: numberPoint,
  sum: numberPoint,
  histogram: (p, at) => ({
    ...common(p, at),
    count: count(p.count, `${at}.count`),
    sum: double(p.sum, `${at}.sum`),
    min: double(p.min, `${at}.min`),
    max: double(p.max, `${at}.max`),
    bucketCounts: counts(p.bucketCounts, `${at}.bucketCounts`),
    explicitBounds: bounds(p.explicitBounds, `${at}.explicitBounds`)
  }),
  exponentialHistogram: (p, at) => ({
    ...common(p, at),
    count: count(p.count, `${at}.count`),
    sum: double(p.sum, `${at}.sum`),
    min: double(p.min, `${at}.min`),
    max: double(p.max, `${at}.max`),
    scale: Number(int64(p.scale, `${at}.scale`)),
    zeroCount: count(p.zeroCount, `${at}.zeroCount`),
    positive: buckets(p.positive, `${at}.positive`),
    negative: buckets(p.negative, `${at}.negative`)
  }),
  summary: (p, at) => ({ ...common(p, at), count: count(p.count, `${at}.count`), sum: double(p.sum, `${at}.sum`) })
}

function numberPoint (p: JsonObject, at: string): ReceivedDataPoint {
  const asDouble = double(p.asDouble, `${at}.asDouble`)
  return { ...common(p, at), value: asDouble ?? exactInteger(int64(p.asInt, `${at}.asInt`)) }
}

type CommonFields = Pick<ReceivedDataPoint, 'attributes' | 'startTimeUnixNano' | 'timeUnixNano' | 'flags'>

function common (p: JsonObject, at: string): CommonFields {
  return {
    startTimeUnixNano: int64(p.startTimeUnixNano, `${at}.startTimeUnixNano`),
    timeUnixNano: int64(p.timeUnixNano, `${at}.timeUnixNano`),
    attributes: keyValues(p.attributes, `${at}.attributes`),
    flags: uint32(p.flags, `${at}.flags`)
  }
}

const count = (value: unknown, at: string): number => Number(int64(value, at))
const counts = (value: unknown, at: string): number[] => list(value, at).map((c, i) => count(c, `${at}[${i}]`))
const bounds = (value: unknown, at: string): number[] => list(value, at).map((b, i) => double(b, `${at}[${i}]`) ?? 0)

function buckets (value: unknown, at: string): ExponentialBuckets {
  const b = object(value, at)
  return { offset: Number(int64(b.offset, `${at}.offset`)), bucketCounts: counts(b.bucketCounts, `${at}.bucketCounts`) }
}
