import { parseKeyValueList, readEnv } from './env-values.js'
import type { ResolvedExporterConfig } from './options.js'
import { headerProblem } from './resolve-exporter.js'
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
  // The members resolution sends (a member it skips, with its own warning, goes nowhere).
  const general = new Set(parseKeyValueList(raw, headerProblem).entries.map(([key]) => key.toLowerCase()))
  if (general.size === 0) return

  /** Origin -> the signals whose general headers go there, and where their endpoints came from. */
  const places = new Map<string, { shown: string; names: string[]; source: string }>()
  for (const { name, headersVariable, exporter } of signals) {
    if (exporter.kind.value !== 'otlp') continue
    const own = readEnv(r.env, headersVariable)
    const replaced = new Set(
      own === undefined ? [] : parseKeyValueList(own, headerProblem).entries.map(([key]) => key.toLowerCase())
    )
    if ([...general].every((key) => replaced.has(key))) continue
    const { shown, key } = originOf(exporter)
    const place = places.get(key)
    if (place === undefined) places.set(key, { shown, names: [name], source: describeSource(exporter.endpoint) })
    else place.names.push(name)
  }
  if (places.size < 2) return
  const where = [...places.values()].map(({ shown, names, source }) => `${names.join(' and ')} to ${shown} (${source})`)
  r.warnings.push(
    `${GENERAL_HEADERS} is sent with every signal, here to ${places.size} different places: ${where.join('; ')}. ` +
      'If its credential is meant for one of them, set it for that signal only ' +
      '(OTEL_EXPORTER_OTLP_TRACES_HEADERS, OTEL_EXPORTER_OTLP_LOGS_HEADERS, OTEL_EXPORTER_OTLP_METRICS_HEADERS).'
  )
}

/** The ports `https://` and `http://` mean when none is written. */
const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'https:': '443', 'http:': '80' }

/**
 * `scheme://host` of an endpoint as resolved (the port when it is not the scheme's), and the same
 * with the port always written, to compare: a gRPC `host:port` without a scheme is `http://` when
 * `insecure`, else `https://`, as the exporter connects.
 */
function originOf (exporter: ResolvedExporterConfig): { shown: string; key: string } {
  const endpoint = exporter.endpoint.value
  const scheme = exporter.insecure.value ? 'http' : 'https'
  try {
    const url = new URL(endpoint.includes('://') ? endpoint : `${scheme}://${endpoint}`)
    const port = url.port === '' ? (DEFAULT_PORTS[url.protocol] ?? '') : url.port
    return { shown: `${url.protocol}//${url.host}`, key: `${url.protocol}//${url.hostname}:${port}` }
  } catch {
    return { shown: '(an endpoint that is not a URL)', key: endpoint }
  }
}
