import type { Span } from '@opentelemetry/sdk-trace'
import { DEFAULT_REDACTED_QUERY_KEYS, redactQuery, redactUrl } from '../common/query-redaction.js'

/** Attributes that hold a URL or a path with its query: current and older HTTP semantic conventions. */
const URL_ATTRIBUTES = ['url.full', 'http.url', 'http.target'] as const

/**
 * The package's query redaction applied to every span before export, whoever made it: the
 * instrumentations (instrumentation-undici records `url.full` and `url.query` verbatim,
 * instrumentation-http redacts a shorter, case-sensitive list) as well as the plugin's own spans,
 * which were redacted where they were made and pass through unchanged. Runs in onEnding, while
 * the span is still writable and before any processor's onEnd sees it.
 */
export class SpanUrlRedaction {
  private readonly keys = new Set<string>()

  constructor (keys: Iterable<string> = DEFAULT_REDACTED_QUERY_KEYS) {
    this.add(keys)
  }

  /** More keys (a plugin's `redactQueryParams`); matched case-insensitively. */
  add (keys: Iterable<string>): void {
    for (const key of keys) this.keys.add(key.toLowerCase())
  }

  apply (span: Span): void {
    const attributes = span.attributes
    for (const name of URL_ATTRIBUTES) {
      const value = attributes[name]
      if (typeof value !== 'string') continue
      const redacted = redactUrl(value, this.keys)
      if (redacted !== value) span.setAttribute(name, redacted)
    }
    const query = attributes['url.query']
    if (typeof query === 'string' && query.length > 0) {
      // instrumentation-undici keeps the leading `?` (URL.search); the conventions do not.
      const mark = query.charCodeAt(0) === 0x3f ? 1 : 0
      const body = mark === 1 ? query.slice(1) : query
      const redacted = redactQuery(body, this.keys)
      if (redacted !== body) span.setAttribute('url.query', mark === 1 ? `?${redacted}` : redacted)
    }
  }
}

/** The redaction of each provider this package assembled, for plugins that add keys to it. */
const byProvider = new WeakMap<object, SpanUrlRedaction>()

export function setSpanUrlRedaction (provider: object, redaction: SpanUrlRedaction): void {
  byProvider.set(provider, redaction)
}

/** Undefined for a provider this package did not assemble (the application's own SDK). */
export function spanUrlRedactionFor (provider: object): SpanUrlRedaction | undefined {
  return byProvider.get(provider)
}
