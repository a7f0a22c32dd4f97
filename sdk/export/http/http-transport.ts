import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http'
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base'
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base'
import { createRequire } from 'node:module'
import { gzip } from 'node:zlib'
import { context } from '../../../context/otel-api.js'
import { EXPORT_CONTEXT } from '../export-context.js'
import { classifyFailure, isClassified } from '../failure.js'
import type { TlsMaterial } from '../tls-files.js'
import { classifyHttpStatus, classifyNetworkError, networkErrorHint } from './http-status.js'

/**
 * The OTLP/HTTP transport under the exporter, in place of OpenTelemetry JS's (whose exporter
 * around it, serializers and metrics are kept: otlp-http-exporter.ts). docs/internals/upstream-parts.md,
 * "The OTLP/HTTP transport", has the measurements. What upstream's cannot do:
 * - Let go at shutdown. Upstream's has no way to end a request under way (its shutdown does
 *   nothing), and it arms a plain socket timeout, which a collector that never answers keeps
 *   alive: the process cannot exit before the export timeout. Here shutdown destroys the requests
 *   and the connections, and the deadline is one timer for the whole request.
 * - Leave the retries to the one loop that knows the batch's deadline. Upstream's HTTP transport
 *   comes wrapped in its own retry loop (5 more tries, timers that keep the process alive and
 *   that shutdown cannot cancel), which under our retrying exporter would multiply the attempts.
 *   This transport tries once and says what the failure means (export/failure.ts): 429, 502, 503
 *   and 504 are retried with `Retry-After`, 413 splits the batch, the rest are permanent.
 * What upstream's does besides is kept (test/contract/http-transport-contract.test.mjs runs both):
 * the POST with the signal's content type, gzip with `Content-Encoding`, its user agent after
 * ours, keep-alive connections, a 4 MiB cap on the response, and `http`/`https` loaded on first
 * use, after instrumentation-http has had its chance to patch them (the export context keeps
 * every request untraced).
 */

export interface HttpTransportOptions {
  /** The signal's URL, as resolved (`https://host/otlp/v1/traces`). */
  url: URL
  /** Sent with every request: the user's, and the body's content type. */
  headers: Record<string, string>
  compression: 'gzip' | 'none'
  tls: TlsMaterial
  userAgent: string
}

/** Upstream's cap on a response body: a collector's answer is a few bytes. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024

type HttpModule = typeof import('node:http')

export class HttpTransport implements IExporterTransport {
  private agent: Agent | undefined
  private module: HttpModule | undefined
  /** Requests under way, for shutdown to end. */
  private readonly requests = new Set<ClientRequest>()
  /** After shutdown no request is made: a new connection would be one nobody closes. */
  private shut = false

  constructor (private readonly options: HttpTransportOptions) {}

  /** Whether any header of the user's goes with the requests (the content type is the exporter's). */
  private sendsCredentials (): boolean {
    return Object.keys(this.options.headers).some((name) => name.toLowerCase() !== 'content-type')
  }

  async send (data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    if (this.shut) return failure(new Error('the exporter is shut down'))
    const started = Date.now()
    let body = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    const headers: Record<string, string | number> = { ...this.options.headers, 'User-Agent': this.options.userAgent }
    if (this.options.compression === 'gzip') {
      try {
        body = await gzipped(body)
      } catch (error) {
        return failure(error)
      }
      headers['Content-Encoding'] = 'gzip'
    }
    headers['Content-Length'] = body.byteLength
    if (this.shut) return failure(new Error('the exporter is shut down'))
    const remaining = Math.max(1, timeoutMillis - (Date.now() - started))
    // Whatever context the callback of gzip ran in, the request is made untraced.
    return context.with(EXPORT_CONTEXT, () => this.post(body, headers, remaining))
  }

  /** Ends the requests under way (each fails at once) and closes the connections. */
  shutdown (): void {
    this.shut = true
    const requests = [...this.requests]
    this.requests.clear()
    for (const request of requests) request.destroy(new Error('the exporter is shut down'))
    this.agent?.destroy()
    this.agent = undefined
  }

  private post (
    body: Buffer,
    headers: Record<string, string | number>,
    timeoutMillis: number
  ): Promise<ExportResponse> {
    const { url } = this.options
    return new Promise((resolve) => {
      let settled = false
      const settle = (response: ExportResponse): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.requests.delete(request)
        // A collector that answered before the whole body was written (an early 413) gets no more
        // of it: once this send settles, the body's memory takes a later request
        // (sdk/export/protobuf/request-buffers.ts).
        if (!request.writableFinished) request.destroy()
        resolve(response)
      }
      const http = this.load()
      const options: RequestOptions = { method: 'POST', headers, agent: this.agentFor(http) }
      const request = http.request(url, options, (response) => {
        this.read(response, (status, answer) => {
          if (status >= 200 && status < 300) {
            settle({ status: 'success', ...(answer.length > 0 ? { data: answer } : {}) })
            return
          }
          const message = describeStatus(status, response.statusMessage, url, this.sendsCredentials())
          const error = new OTLPExporterError(message, status, answer.toString('utf8'))
          settle(failure(error, classifyHttpStatus(status, header(response, 'retry-after'))))
        }, (error) => settle(failure(describeNetworkError(error, this.options.tls))))
      })
      // One deadline for the whole request: a socket timeout would restart with every byte.
      const timer = setTimeout(() => {
        request.destroy(classifyFailure(new Error(`no answer within ${timeoutMillis} ms`), { kind: 'transient' }))
      }, timeoutMillis)
      // The request's socket holds the process while it is under way; the timer need not.
      timer.unref()
      request.on('error', (error) => settle(failure(describeNetworkError(error, this.options.tls))))
      this.requests.add(request)
      request.end(body)
    })
  }

  /** The response body, up to MAX_RESPONSE_BYTES; past that the connection is dropped. */
  private read (
    response: IncomingMessage,
    done: (status: number, body: Buffer) => void,
    fail: (error: Error) => void
  ): void {
    const chunks: Buffer[] = []
    let size = 0
    response.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_RESPONSE_BYTES) {
        response.destroy(new Error(`the collector's answer is over ${MAX_RESPONSE_BYTES} bytes`))
        return
      }
      chunks.push(chunk)
    })
    response.on('end', () => done(response.statusCode ?? 0, Buffer.concat(chunks)))
    response.on('error', fail)
    response.on('aborted', () => {
      fail(Object.assign(new Error('the connection closed mid-answer'), { code: 'ECONNRESET' }))
    })
  }

  private load (): HttpModule {
    // Loaded on first use, and read at each request: instrumentation-http patches the module's
    // `request` in place, and it is loaded after the instrumentations are enabled.
    this.module ??= createRequire(__filename)(this.options.url.protocol === 'https:' ? 'https' : 'http') as HttpModule
    return this.module
  }

  private agentFor (http: HttpModule): Agent {
    // One agent per exporter, so shutdown closes exactly this exporter's connections. Idle
    // keep-alive sockets do not hold the process.
    this.agent ??= new http.Agent({ keepAlive: true, ...this.options.tls })
    return this.agent
  }
}

function failure (error: unknown, kind?: Parameters<typeof classifyFailure>[1]): ExportResponse {
  const asError = error instanceof Error ? error : new Error(String(error))
  return { status: 'failure', error: kind === undefined ? asError : classifyFailure(asError, kind) }
}

/**
 * `HTTP 401 Unauthorized (POST /v1/traces)`: the path tells a wrong base endpoint apart; the query
 * may hold a key. A 401 with no header of the user's sent says so: a credential skipped as
 * malformed (`Authorization: Bearer ...` written with a colon) is no credential to check.
 */
function describeStatus (status: number, text: string | undefined, url: URL, sentCredentials: boolean): string {
  const hint =
    status === 404
      ? ': nothing answers at that path (OTLP/HTTP posts to <base>/v1/traces, /v1/logs)'
      : status === 401 || status === 403
        ? sentCredentials
          ? ': check the credentials in exporter.headers (OTEL_EXPORTER_OTLP_HEADERS)'
          : ': no header of exporter.headers (OTEL_EXPORTER_OTLP_HEADERS) was sent; set the credential there, ' +
            'as key=value (Authorization=Bearer%20<key>)'
        : ''
  return `HTTP ${status}${text === undefined || text === '' ? '' : ` ${text}`} (POST ${url.pathname})${hint}`
}

/** The error as it was, classified, with a hint where its own message says little. */
function describeNetworkError (error: Error, tls: TlsMaterial): Error {
  // The deadline's own error, already classified.
  if (isClassified(error)) return error
  const hint = networkErrorHint(error, tls)
  // OpenSSL's texts end with a line break: the hint goes on the same line.
  const described =
    hint === undefined
      ? error
      : Object.assign(new Error(`${error.message.trimEnd()} (${hint})`, { cause: error }), {
        code: (error as { code?: unknown }).code
      })
  return classifyFailure(described, classifyNetworkError(error))
}

function header (response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function gzipped (body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gzip(body, (error, result) => (error === null ? resolve(result) : reject(error)))
  })
}
