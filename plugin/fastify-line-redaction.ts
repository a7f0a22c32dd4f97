import { redactUrl } from '../sdk/common/query-redaction.js'

/**
 * The request URL in what Fastify itself logs, with its sensitive query values redacted as on the
 * request span (`url.query`: the default keys and `redactQueryParams`), for the exported records:
 * a token in a query string reaches the collector in neither. Fastify writes the URL, query
 * included, in the request serializer's `req.url`, in its not-found line (`Route GET:/x?token=...
 * not found`) and in the reply-already-sent warning (its message, and the error's message and
 * stack). Anything else a line says is exported as written: an application's own fields are
 * redacted with pino's `redact` or its serializers. Each function returns what it is given when
 * there is nothing to redact.
 */

/** Fastify's not-found line (lib/log-controller.js), the whole message. */
const NOT_FOUND = /^(Route [A-Z]+:)(.*)( not found)$/s
/** Fastify's reply-already-sent texts (lib/reply.js, FST_ERR_REP_ALREADY_SENT), wherever they appear. */
const ALREADY_SENT = /(Reply was already sent, did you forget to "return reply" in (?:the )?")([^"]*)(" \([A-Z]+\))/g

/** `req` as Fastify's request serializer writes it, with `url` redacted. */
export function redactRequestUrl (req: unknown, keys: ReadonlySet<string>): unknown {
  const url = (req as { url?: unknown } | null)?.url
  if (typeof url !== 'string' || Array.isArray(req)) return req
  const redacted = redactUrl(url, keys)
  return redacted === url ? req : { ...(req as object), url: redacted }
}

/**
 * A message or an error's message, with the URL in Fastify's own texts redacted; `stack`: an
 * error's stack, where the message follows the error's name.
 */
export function redactFastifyText (text: string, keys: ReadonlySet<string>, stack = false): string {
  if (!stack) {
    // Both of Fastify's texts start with R; most messages do not: one character compared.
    if (text.charCodeAt(0) !== 82 /* R */) return text
    const notFound = NOT_FOUND.exec(text)
    if (notFound !== null) {
      const url = redactUrl(notFound[2]!, keys)
      return url === notFound[2] ? text : `${notFound[1]}${url}${notFound[3]}`
    }
  }
  if (!text.includes('Reply was already sent')) return text
  return text.replace(ALREADY_SENT, (whole, before: string, url: string, after: string) => {
    const redacted = redactUrl(url, keys)
    return redacted === url ? whole : `${before}${redacted}${after}`
  })
}
