import type { ConfigurationModel } from '@opentelemetry/configuration'
import type { FileSettings, Fail, Json, Set } from './config-file-model.js'
import { mapExporter, notActedOnExcept, single } from './config-file-model.js'
import { EXPLICIT_HISTOGRAMS } from './env-inventory.js'

/** The file's temporality names as OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE's. */
const TEMPORALITY: Readonly<Record<string, string>> = {
  cumulative: 'cumulative',
  delta: 'delta',
  low_memory: 'lowmemory'
}

/**
 * `.meter_provider` as the metrics variables: each reader becomes a name of
 * OTEL_METRICS_EXPORTER (a periodic reader with an OTLP exporter `otlp`, with a console exporter
 * `console`, a pull reader with the Prometheus exporter `prometheus`), with its settings as their
 * variables. One reader per kind, as OTEL_METRICS_EXPORTER can say; the periodic readers share one
 * interval and timeout. No `meter_provider`: no metrics, as the file format reads it.
 */
export function mapMeterProvider (model: ConfigurationModel, set: Set, out: FileSettings, fail: Fail): void {
  const provider = model.meter_provider
  if (provider == null) {
    set('OTEL_METRICS_EXPORTER', 'none', '.meter_provider')
    out.notices.push('no meter_provider section, which the file format reads as no metrics: metrics are not exported.')
    return
  }
  const base = '.meter_provider'
  const names: string[] = []
  const periodic: Array<{ at: string; interval: unknown; timeout: unknown }> = []
  ;(provider.readers ?? []).forEach((reader, i) => {
    const at = `${base}.readers[${i}]`
    const [kind, settings] = single(reader as Json, at, fail)
    const props = (settings ?? {}) as Json
    let name: string
    if (kind === 'periodic') {
      const exporterAt = `${at}.periodic.exporter`
      const [exporterName, exporterSettings] = single(props.exporter as Json, exporterAt, fail)
      if (exporterName === 'console') name = 'console'
      else if (exporterName === 'otlp_http' || exporterName === 'otlp_grpc') name = 'otlp'
      else {
        fail(
          `${exporterAt}: exporter "${exporterName}" is not supported by this package (otlp_http, otlp_grpc, console)`
        )
      }
      if (name === 'otlp') mapExporter(props.exporter as Json, 'METRICS', exporterAt, set, fail)
      const exporterProps = (exporterSettings ?? {}) as Json
      const here = `${exporterAt}.${exporterName}`
      if (exporterProps.temporality_preference != null) {
        set(
          'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
          TEMPORALITY[exporterProps.temporality_preference as string] ?? exporterProps.temporality_preference,
          `${here}.temporality_preference`
        )
      }
      if (exporterProps.default_histogram_aggregation === 'base2_exponential_bucket_histogram') {
        out.notActedOn.push({
          path: `${here}.default_histogram_aggregation`,
          reason: EXPLICIT_HISTOGRAMS
        })
      }
      periodic.push({ at: `${at}.periodic`, interval: props.interval, timeout: props.timeout })
      notActedOnExcept(out, props, `${at}.periodic`, ['exporter', 'interval', 'timeout'])
    } else if (kind === 'pull') {
      const exporterAt = `${at}.pull.exporter`
      const [exporterName, exporterSettings] = single(props.exporter as Json, exporterAt, fail)
      if (exporterName !== 'prometheus/development') {
        fail(`${exporterAt}: exporter "${exporterName}" is not supported by this package (prometheus/development)`)
      }
      name = 'prometheus'
      const prometheus = (exporterSettings ?? {}) as Json
      const here = `${exporterAt}.prometheus/development`
      set('OTEL_EXPORTER_PROMETHEUS_HOST', prometheus.host, `${here}.host`)
      set('OTEL_EXPORTER_PROMETHEUS_PORT', prometheus.port, `${here}.port`)
      notActedOnExcept(out, prometheus, here, ['host', 'port'])
      notActedOnExcept(out, props, `${at}.pull`, ['exporter'])
    } else {
      fail(`${at}: reader "${kind}" is not supported by this package (periodic, pull)`)
    }
    if (names.includes(name!)) {
      fail(
        `${at}: a second ${name!} reader; this package builds one reader of each kind ` +
          '(add others as option metrics.readers)'
      )
    }
    names.push(name!)
  })
  for (const key of ['interval', 'timeout'] as const) {
    const given = periodic.filter((p) => p[key] != null)
    if (new Set(given.map((p) => p[key])).size > 1) {
      fail(
        `${given.map((p) => `${p.at}.${key}`).join(' and ')} differ; ` +
          `the periodic readers of this package share one ${key}`
      )
    }
    const first = given[0]
    if (first !== undefined) {
      set(
        key === 'interval' ? 'OTEL_METRIC_EXPORT_INTERVAL' : 'OTEL_METRIC_EXPORT_TIMEOUT',
        first[key],
        `${first.at}.${key}`
      )
    }
  }
  set('OTEL_METRICS_EXPORTER', names.length === 0 ? 'none' : names.join(','), `${base}.readers`)
  if (provider.views != null) {
    out.notActedOn.push({ path: `${base}.views`, reason: 'views are taken as option metrics.views, in the code' })
  }
  notActedOnExcept(out, provider as unknown as Json, base, ['readers', 'views'])
}
