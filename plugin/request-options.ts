import type { Attributes } from '@opentelemetry/api'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { invalidOption } from '../sdk/errors.js'
import { DEFAULT_REDACTED_QUERY_KEYS } from '../sdk/common/query-redaction.js'
import type { OtelPluginOptions } from './options.js'
import {
  optionalFunction,
  optionalPlainObject,
  optionalStringArray,
  rejectUnknownKeys
} from '../sdk/config/validate.js'

/** The per-request options, validated; they are never taken from the environment. */
export interface RequestOptions {
  ignorePaths: ReadonlySet<string>
  ignore: ((request: FastifyRequest) => boolean) | undefined
  spanName: ((request: FastifyRequest) => string) | undefined
  requestAttributes: ((request: FastifyRequest) => Attributes | undefined) | undefined
  responseAttributes: ((request: FastifyRequest, reply: FastifyReply) => Attributes | undefined) | undefined
  captureRequestHeaders: readonly string[]
  captureResponseHeaders: readonly string[]
  /** Lower-case query keys whose values are redacted. */
  redactedQueryKeys: ReadonlySet<string>
}

export function resolveRequestOptions (options: OtelPluginOptions = {}): RequestOptions {
  let ignorePaths: string[] = []
  let ignore: RequestOptions['ignore']
  if (typeof options.ignore === 'function') ignore = options.ignore
  else if (options.ignore !== undefined) {
    if (!Array.isArray(options.ignore)) {
      throw invalidOption('ignore', 'an array of paths or a function (request) => boolean', options.ignore)
    }
    ignorePaths = optionalStringArray('ignore', options.ignore) ?? []
    ignorePaths.forEach((path, i) => {
      if (!path.startsWith('/')) throw invalidOption(`ignore[${i}]`, 'a path starting with "/"', path)
    })
  }
  const capture = optionalPlainObject('captureHeaders', options.captureHeaders) ?? {}
  rejectUnknownKeys('captureHeaders', capture, ['request', 'response'])
  return {
    ignorePaths: new Set(ignorePaths),
    ignore,
    spanName: optionalFunction('spanName', options.spanName),
    requestAttributes: optionalFunction('requestAttributes', options.requestAttributes),
    responseAttributes: optionalFunction('responseAttributes', options.responseAttributes),
    captureRequestHeaders: (optionalStringArray('captureHeaders.request', capture.request) ?? []).map((h) =>
      h.toLowerCase()
    ),
    captureResponseHeaders: (optionalStringArray('captureHeaders.response', capture.response) ?? []).map((h) =>
      h.toLowerCase()
    ),
    // Lower-cased once here: the request path only lower-cases the keys it reads.
    redactedQueryKeys: new Set(
      [
        ...DEFAULT_REDACTED_QUERY_KEYS,
        ...(optionalStringArray('redactQueryParams', options.redactQueryParams) ?? [])
      ].map((key) => key.toLowerCase())
    )
  }
}
