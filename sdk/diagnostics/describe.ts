/**
 * A diagnostic argument as a short description. Never serialises an object graph: the SDK's own
 * debug messages pass whole spans and errors, and from a span or a gRPC error the graph reaches the
 * exporter's transport and its metadata (API keys, authorization headers). Spans are described by
 * name and ids, arrays by their length, errors by name and message.
 */
export function describeForLog (value: unknown): string {
  if (typeof value === 'string') return value
  if (
    value === null ||
    value === undefined ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    typeof value === 'bigint'
  ) {
    return String(value)
  }
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code
    const shownCode = typeof code === 'number' || typeof code === 'string' ? ` (code ${code})` : ''
    return `${value.name}${shownCode}: ${value.message}`
  }
  if (Array.isArray(value)) {
    const spans = value.filter(isSpanLike).length
    return spans === value.length && spans > 0 ? `[${spans} span(s)]` : `[array of ${value.length}]`
  }
  if (isSpanLike(value)) {
    const context = value.spanContext()
    return `[span ${JSON.stringify(String(value.name ?? ''))} ${context.traceId}-${context.spanId}]`
  }
  if (typeof value === 'function') return '[function]'
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  return `[${typeof name === 'string' && name !== '' ? name : 'object'}]`
}

function isSpanLike (
  value: unknown
): value is { name?: unknown; spanContext: () => { traceId: string; spanId: string } } {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { spanContext?: unknown }).spanContext === 'function'
  )
}
