import type { CollectionResult, MetricData } from '@opentelemetry/sdk-metrics'

/**
 * The unit suffixes of the OpenTelemetry-to-Prometheus naming rules (specification,
 * compatibility/prometheus_and_openmetrics.md), which the OpenTelemetry Collector's Prometheus
 * exporter applies and upstream's JavaScript exporter (exporter-prometheus 0.301) does not:
 * `http.server.request.duration` in `s` is `http_server_request_duration_seconds`, so the
 * dashboards and alerts written for a Collector work on this endpoint as they are. Annotations in
 * braces (`{request}`) add nothing; `1` is `ratio` for gauges only.
 */
const UNITS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tebibytes',
  kBy: 'kilobytes',
  // Not UCUM (kBy is), but written so often that it is read the same way.
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent'
}

const PER: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year'
}

/** The suffix a unit adds to a metric's Prometheus name ('' for none). */
export function unitSuffix (unit: string, gauge: boolean): string {
  const bare = unit.replace(/\{[^}]*\}/g, '').trim()
  if (bare === '') return ''
  if (bare === '1') return gauge ? 'ratio' : ''
  const slash = bare.indexOf('/')
  if (slash === -1) return UNITS[bare] ?? sanitize(bare)
  const over = bare.slice(0, slash)
  const under = bare.slice(slash + 1)
  const top = over === '' || over === '1' ? '' : (UNITS[over] ?? sanitize(over))
  const bottom = PER[under] ?? UNITS[under] ?? sanitize(under)
  return top === '' ? `per_${bottom}` : `${top}_per_${bottom}`
}

function sanitize (text: string): string {
  return text.replace(/[^a-zA-Z0-9]/g, '_')
}

/** The collection with each metric's name carrying its unit, for the Prometheus endpoint. */
export function withUnitSuffixes (result: CollectionResult): CollectionResult {
  return {
    errors: result.errors,
    resourceMetrics: {
      resource: result.resourceMetrics.resource,
      scopeMetrics: result.resourceMetrics.scopeMetrics.map((scope) => ({
        scope: scope.scope,
        metrics: scope.metrics.map(suffixed)
      }))
    }
  }
}

/**
 * The metric with its unit as a word, in the UNIT line (annotations in braces dropped: none for
 * `{request}`) and at the end of its name, unless the name ends with it already.
 */
function suffixed (metric: MetricData): MetricData {
  const suffix = unitSuffix(metric.descriptor.unit, metric.dataPointType === 2)
  const name = metric.descriptor.name
  const named = suffix === '' || name.replace(/[^a-zA-Z0-9]/g, '_').endsWith(`_${suffix}`) ? name : `${name}_${suffix}`
  if (named === name && suffix === metric.descriptor.unit) return metric
  return { ...metric, descriptor: { ...metric.descriptor, name: named, unit: suffix } } as MetricData
}
