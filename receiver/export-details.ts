import type { ReceivedSpan } from './decode-traces.js'
import type { AttributeMap, AttributeValue } from './protobuf-values.js'
import type { ExportSource, Signal } from './receiver-types.js'
import { escapeControls } from './terminal-text.js'

/**
 * What `receive --details` prints besides the waterfalls: the attributes of each span, each
 * resource the first time it arrives, and the names of the headers each kind of export came with.
 * It answers "did my OTEL_RESOURCE_ATTRIBUTES, my API key header, my http.route arrive?" without a
 * backend. Header values are never printed: they are what a credential travels in.
 */

/** The longest value printed whole; a longer one (a stack trace, a SQL statement) is cut. */
const MAX_VALUE_CHARACTERS = 120

/** What is remembered as printed already; past it, the memory starts again (a receiver runs for days). */
const MAX_REMEMBERED = 1000

export class ExportDetails {
  private readonly resources = new Set<string>()
  private readonly headerSets = new Set<string>()

  /** The lines an export adds (its resource and headers, when not seen before); '' when none. */
  describeExport (signal: Signal, resources: readonly AttributeMap[], from: ExportSource): string {
    let out = ''
    const names = Object.keys(from.headers)
      .filter((name) => !TRANSPORT_HEADERS.has(name) && !name.startsWith(':') && !name.startsWith('grpc-'))
      .sort()
    const contentType = escapeControls(from.contentType)
    const headers = `${signal} over ${from.transport} (${contentType}): ${names.join(', ') || 'none'}`
    if (!this.headerSets.has(headers)) {
      if (this.headerSets.size >= MAX_REMEMBERED) this.headerSets.clear()
      this.headerSets.add(headers)
      out += `headers of ${headers}  (values not shown)\n`
    }
    for (const resource of resources) {
      const shown = formatAttributes(resource)
      if (this.resources.has(shown)) continue
      if (this.resources.size >= MAX_REMEMBERED) this.resources.clear()
      this.resources.add(shown)
      out += `resource of ${escapeControls(String(resource['service.name'] ?? 'unknown service'))}: ${shown}\n`
    }
    return out
  }
}

/** Each span's attributes under the waterfall, in the order the spans started. */
export function renderSpanAttributes (spans: readonly ReceivedSpan[]): string {
  const ordered = [...spans].sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1))
  return ordered
    .map((span) => `  ${escapeControls(span.name)}: ${formatAttributes(span.attributes) || '(no attributes)'}\n`)
    .join('')
}

function formatAttributes (attributes: AttributeMap): string {
  return Object.keys(attributes)
    .sort()
    .map((key) => `${escapeControls(key)}=${formatValue(attributes[key])}`)
    .join('  ')
}

/**
 * A value as a reader tells its type: a string in quotes with control characters escaped (a
 * client's user agent or path must not drive the terminal), numbers and booleans bare, bytes as
 * base64, lists and maps in brackets. Cut at MAX_VALUE_CHARACTERS.
 */
function formatValue (value: AttributeValue | undefined): string {
  const text = literal(value)
  return text.length <= MAX_VALUE_CHARACTERS ? text : `${text.slice(0, MAX_VALUE_CHARACTERS - 1)}…`
}

function literal (value: AttributeValue | undefined): string {
  if (value === undefined) return '(empty)'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (Buffer.isBuffer(value)) return `bytes:${value.toString('base64')}`
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`
  return `{${Object.keys(value).map((key) => `${JSON.stringify(key)}: ${literal(value[key])}`).join(', ')}}`
}

/** Headers every export has, whoever sent it: left out, so that what the service added stands out. */
const TRANSPORT_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'connection',
  'content-encoding',
  'content-length',
  'content-type',
  'host',
  'te',
  'transfer-encoding',
  'user-agent'
])
