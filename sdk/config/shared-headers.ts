import { parseKeyValueList, readEnv } from './env-values.js'
import type { ResolvedExporterConfig } from './options.js'
import { describeSource, type Resolver } from './resolver.js'

/** The variable whose headers the specification sends with every signal. */
const GENERAL_HEADERS = 'OTEL_EXPORTER_OTLP_HEADERS'

interface SignalExport {
  /** `traces`, `logs`, `metrics`: for the message. */
  name: string
  /** The signal's own headers variable, whose keys take the place of the general one's. */
  headersVariable: string
  exporter: ResolvedExporterConfig
}

/**
 * OTEL_EXPORTER_OTLP_HEADERS goes with every signal, wherever each is sent: set beside an endpoint
 * for one signal only (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) while the others keep an endpoint from
 * the plugin options, a credential meant for one backend reaches another (the options' address
 * is often the quick start's `http://localhost:4318`). That is the specification's rule, so it is
 * followed; when the general headers reach more than one origin, the notice names each origin,
 * the signals sent there and where its endpoint came from (origins only: no path, no user
 * information, no header value). With a configuration file the headers are the file's, per
 * exporter, and this does not apply.
 */
export function warnOfSharedHeaders (r: Resolver, signals: readonly SignalExport[]): void {
  if (r.file !== undefined) return
  const raw = readEnv(r.env, GENERAL_HEADERS)
  if (raw === undefined) return
  const general = new Set(parseKeyValueList(raw, () => undefined).entries.map(([key]) => key.toLowerCase()))
  if (general.size === 0) return

  /** Origin -> the signals whose general headers go there, and where their endpoints came from. */
  const places = new Map<string, { names: string[]; source: string }>()
  for (const { name, headersVariable, exporter } of signals) {
    if (exporter.kind.value !== 'otlp') continue
    const own = readEnv(r.env, headersVariable)
    const replaced = new Set(
      own === undefined ? [] : parseKeyValueList(own, () => undefined).entries.map(([key]) => key.toLowerCase())
    )
    if ([...general].every((key) => replaced.has(key))) continue
    const origin = originOf(exporter.endpoint.value)
    const place = places.get(origin)
    if (place === undefined) places.set(origin, { names: [name], source: describeSource(exporter.endpoint) })
    else place.names.push(name)
  }
  if (places.size < 2) return
  const where = [...places].map(([origin, { names, source }]) => `${names.join(' and ')} to ${origin} (${source})`)
  r.warnings.push(
    `${GENERAL_HEADERS} is sent with every signal, here to ${places.size} different places: ${where.join('; ')}. ` +
      'If its credential is meant for one of them, set it for that signal only ' +
      '(OTEL_EXPORTER_OTLP_TRACES_HEADERS, OTEL_EXPORTER_OTLP_LOGS_HEADERS, OTEL_EXPORTER_OTLP_METRICS_HEADERS).'
  )
}

/** `scheme://host:port` of an endpoint as resolved (a gRPC `host:port` without a scheme too). */
function originOf (endpoint: string): string {
  try {
    const url = new URL(endpoint.includes('://') ? endpoint : `grpc://${endpoint}`)
    return url.protocol === 'grpc:' ? url.host : `${url.protocol}//${url.host}`
  } catch {
    return '(an endpoint that is not a URL)'
  }
}
