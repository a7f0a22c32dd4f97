import { type ReceivedSpan, SPAN_KIND_NAMES, STATUS_NAMES } from './decode-traces.js'

/** `fastify.type` of the plugin's lifecycle spans: they say where a request's time went, they do not cover it. */
const LIFECYCLE_TYPES = new Set(['hook', 'route-hook', 'request-handler', 'error-handler', 'phase'])
const isLifecycle = (span: ReceivedSpan): boolean => LIFECYCLE_TYPES.has(String(span.attributes['fastify.type']))

/**
 * Renders one trace as a terminal waterfall: the span tree, each span's duration, a bar on a
 * shared time axis, and its status. Below each root it says how much of its time its children
 * account for: the gap this package exists to close ("a root span of 800 ms with two children of
 * 50 ms") becomes a number, and the plugin's lifecycle spans (a slow hook, the handler, a phase)
 * say where the rest went.
 */
export function renderWaterfall (spans: ReceivedSpan[], width = 40): string {
  if (spans.length === 0) return '(no spans)\n'
  const ids = new Set(spans.map((s) => s.spanId))
  const children = new Map<string, ReceivedSpan[]>()
  const roots: ReceivedSpan[] = []
  for (const span of [...spans].sort((a, b) => compare(a.startTimeUnixNano, b.startTimeUnixNano))) {
    if (span.parentSpanId !== '' && ids.has(span.parentSpanId)) {
      const list = children.get(span.parentSpanId) ?? []
      list.push(span)
      children.set(span.parentSpanId, list)
    } else {
      roots.push(span)
    }
  }
  const start = spans.reduce(
    (min, s) => (s.startTimeUnixNano < min ? s.startTimeUnixNano : min),
    spans[0]!.startTimeUnixNano
  )
  const end = spans.reduce((max, s) => (s.endTimeUnixNano > max ? s.endTimeUnixNano : max), spans[0]!.endTimeUnixNano)
  const total = Number(end - start) || 1
  const nameWidth = Math.min(48, Math.max(...spans.map((s) => s.name.length)) + 2 * depthOf(spans, children) + 4)

  const lines: string[] = []
  const first = roots[0]!
  const service = String(first.resource['service.name'] ?? 'unknown service')
  lines.push(`trace ${first.traceId}  ${service}  ${spans.length} spans  ${formatMillis(total)}`)
  if (first.parentSpanId !== '') lines.push(`  (continues the caller's span ${first.parentSpanId})`)

  const walk = (span: ReceivedSpan, prefix: string, isLast: boolean, isRoot: boolean): void => {
    const branch = isRoot ? '' : isLast ? '└─ ' : '├─ '
    const label = truncate(`${prefix}${branch}${span.name}`, nameWidth).padEnd(nameWidth)
    const kind = (SPAN_KIND_NAMES[span.kind] ?? '?').padEnd(9)
    const duration = formatMillis(Number(span.endTimeUnixNano - span.startTimeUnixNano)).padStart(9)
    const offset = Math.floor((Number(span.startTimeUnixNano - start) / total) * width)
    const length = Math.max(1, Math.round((Number(span.endTimeUnixNano - span.startTimeUnixNano) / total) * width))
    const bar =
      ' '.repeat(Math.min(offset, width - 1)) + '█'.repeat(Math.min(length, width - Math.min(offset, width - 1)))
    const status = STATUS_NAMES[span.status.code] ?? '?'
    const detail = span.status.code === 2 && span.status.message !== '' ? ` ${span.status.message}` : ''
    lines.push(`  ${label} ${kind}${duration}  |${bar.padEnd(width)}|  ${status}${detail}`)
    const kids = children.get(span.spanId) ?? []
    const childPrefix = isRoot ? prefix : prefix + (isLast ? '   ' : '│  ')
    kids.forEach((child, i) => walk(child, childPrefix, i === kids.length - 1, false))
  }
  roots.forEach((root) => walk(root, '', true, true))

  for (const root of roots) {
    const kids = children.get(root.spanId) ?? []
    const covering = kids.filter((kid) => !isLifecycle(kid))
    const covered = coverage(root, covering)
    if (covered !== undefined) lines.push(`  child spans account for ${(covered * 100).toFixed(0)}% of ${root.name}`)
    // What the request span itself recorded, and the lifecycle spans that say where the rest went:
    // each with the part of it no other child covers.
    const uncovered = root.attributes['fastify.request.uncovered_ms']
    const share = root.attributes['fastify.request.uncovered_share']
    if (typeof uncovered === 'number' && typeof share === 'number') {
      const where = kids
        .filter(isLifecycle)
        .map((kid) => ({ name: kid.name, nanos: uncoveredNanos(kid, covering) }))
        .filter(({ nanos }) => nanos >= 1e6)
        .sort((a, b) => b.nanos - a.nanos)
        .map(({ name, nanos }) => `${name} ${formatMillis(nanos)}`)
      lines.push(
        `  ${(share * 100).toFixed(0)} % of it (${formatMillis(uncovered * 1e6)}) is not covered by any span` +
          (where.length > 0 ? `; where it went: ${where.join(', ')}` : '')
      )
    }
  }
  return lines.join('\n') + '\n'
}

/** The share of `parent`'s time covered by the union of its children's intervals. */
export function coverage (parent: ReceivedSpan, children: ReceivedSpan[]): number | undefined {
  const duration = parent.endTimeUnixNano - parent.startTimeUnixNano
  if (children.length === 0 || duration <= 0n) return undefined
  const intervals = children
    .map(
      (c) =>
        [max(c.startTimeUnixNano, parent.startTimeUnixNano), min(c.endTimeUnixNano, parent.endTimeUnixNano)] as const
    )
    .filter(([a, b]) => b > a)
    .sort((x, y) => compare(x[0], y[0]))
  let covered = 0n
  let cursor = parent.startTimeUnixNano
  for (const [a, b] of intervals) {
    const from = max(a, cursor)
    if (b > from) covered += b - from
    cursor = max(cursor, b)
  }
  return Number(covered) / Number(duration)
}

/** The nanoseconds of `span` that none of `others` covers. */
function uncoveredNanos (span: ReceivedSpan, others: ReceivedSpan[]): number {
  const share = coverage(span, others)
  const duration = Number(span.endTimeUnixNano - span.startTimeUnixNano)
  return share === undefined ? duration : duration * (1 - share)
}

function depthOf (spans: ReceivedSpan[], children: Map<string, ReceivedSpan[]>): number {
  const depth = (span: ReceivedSpan): number => 1 + Math.max(0, ...(children.get(span.spanId) ?? []).map(depth))
  return Math.max(...spans.map(depth))
}

function formatMillis (nanos: number): string {
  const millis = nanos / 1e6
  return millis >= 100 ? `${millis.toFixed(0)} ms` : `${millis.toFixed(1)} ms`
}

function truncate (text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`
}

const compare = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0)
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b)
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b)
