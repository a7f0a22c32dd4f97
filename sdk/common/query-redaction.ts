const REDACTED = 'REDACTED'

/**
 * Query keys whose values are replaced with `REDACTED` in `url.query` and `url.full`, matched
 * case-insensitively after percent-decoding: the HTTP semantic conventions' pre-signed URL
 * signatures and credentials, plus the keys that carry tokens, API keys, passwords and OAuth
 * secrets and codes (redaction has to protect by default; a key a user never thought of is the
 * one that leaks).
 */
export const DEFAULT_REDACTED_QUERY_KEYS: readonly string[] = Object.freeze([
  'sig',
  'Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'token',
  'access_token',
  'api_key',
  'apikey',
  'password',
  'secret',
  'client_secret',
  'code',
  'id_token',
  'refresh_token'
])

/**
 * Replaces the values of sensitive keys (signatures, credentials, tokens) with `REDACTED` and
 * keeps everything else as received, as the semantic conventions ask. `keys` are lower case; a
 * key matches whatever its case and percent-encoding (`Access_Token`, `api%5Fkey`). One pass over
 * the query, and no new string unless something is redacted: this runs on every request with a
 * query string, hostile ones included (each character is looked at a bounded number of times).
 */
export function redactQuery (query: string, keys: ReadonlySet<string>): string {
  if (keys.size === 0) return query
  let out: string | undefined
  let copied = 0
  let nextEq = -1
  let start = 0
  const length = query.length
  while (start < length) {
    let end = query.indexOf('&', start)
    if (end === -1) end = length
    if (nextEq !== length && nextEq < start) {
      nextEq = query.indexOf('=', start)
      if (nextEq === -1) nextEq = length
    }
    // A value that is REDACTED already is left alone: spans redacted where they were made pass
    // through here again before export, and should not cost a new string.
    if (nextEq < end && keys.has(queryKey(query.slice(start, nextEq))) && !isRedacted(query, nextEq + 1, end)) {
      out = (out ?? '') + query.slice(copied, nextEq + 1) + REDACTED
      copied = end
    }
    start = end + 1
  }
  return out === undefined ? query : out + query.slice(copied)
}

/**
 * A URL (absolute, or a path with a query as in `http.target`) with user and password replaced by
 * `REDACTED:REDACTED` and sensitive values redacted in the query and in a fragment of the same
 * form (OAuth's implicit flow returns `#access_token=...`). The same string when there is nothing
 * to redact. Not parsed with URL: that would re-encode what it keeps, and it runs on every span
 * that has a URL attribute.
 */
export function redactUrl (url: string, keys: ReadonlySet<string>): string {
  let out = url
  const schemeEnd = url.indexOf('://')
  if (schemeEnd !== -1) {
    const authorityStart = schemeEnd + 3
    let authorityEnd = authorityStart
    while (authorityEnd < url.length && !isAuthorityEnd(url.charCodeAt(authorityEnd))) authorityEnd++
    const at = url.lastIndexOf('@', authorityEnd - 1)
    if (at >= authorityStart && url.slice(authorityStart, at) !== CREDENTIALS) {
      out = url.slice(0, authorityStart) + CREDENTIALS + url.slice(at)
    }
  }
  const hash = out.indexOf('#')
  const fragment = hash === -1 ? out.length : hash
  if (hash !== -1) {
    const original = out.slice(hash + 1)
    const redacted = redactQuery(original, keys)
    if (redacted !== original) out = out.slice(0, hash + 1) + redacted
  }
  const queryStart = out.indexOf('?')
  if (queryStart === -1 || queryStart > fragment) return out
  const query = out.slice(queryStart + 1, fragment)
  const redacted = redactQuery(query, keys)
  return redacted === query ? out : out.slice(0, queryStart + 1) + redacted + out.slice(fragment)
}

const CREDENTIALS = `${REDACTED}:${REDACTED}`

/** `/`, `?` and `#` end the authority (RFC 3986, 3.2). */
function isAuthorityEnd (c: number): boolean {
  return c === 0x2f || c === 0x3f || c === 0x23
}

function isRedacted (query: string, from: number, to: number): boolean {
  return to - from === REDACTED.length && query.startsWith(REDACTED, from)
}

function queryKey (raw: string): string {
  return (raw.includes('%') ? safeDecode(raw) : raw).toLowerCase()
}

function safeDecode (value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
