import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import { outcomeStatus } from './outcome-status.js'
import type { BodyFormat, ExportHandler, Listener, ListenOptions, Signal } from './receiver-types.js'
import { exportResponse, statusMessage } from './responses.js'

/**
 * The OTLP/HTTP side of the receiver (HTTP/1.1, or https with the receiver's TLS): POST /v1/traces,
 * /v1/logs and /v1/metrics with a protobuf or JSON body, gzip when `Content-Encoding` says so. It
 * answers as the OTLP/HTTP specification says: 200 with an Export*ServiceResponse in the request's
 * content type, 400 (with a google.rpc.Status) for a body that cannot be decoded, 415 for a content
 * type or encoding it does not speak, 404 elsewhere, and the status of an injected fault (with
 * `Retry-After`). Requests refused before decoding (404, 405, 413, 415) reach no service and are not
 * recorded, as gRPC's own refusals are not.
 */

const PATHS: Record<string, Signal> = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' }
const FORMATS: Record<string, BodyFormat> = { 'application/x-protobuf': 'protobuf', 'application/json': 'json' }
/** gRPC's default receive limit, so both sides refuse the same sizes. */
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024

const gunzipAsync = promisify(gunzip)

export async function listenHttp (options: ListenOptions, handle: ExportHandler): Promise<Listener> {
  const limit = options.maxReceiveMessageBytes ?? DEFAULT_MAX_BYTES
  const prefix = (options.httpPathPrefix ?? '').replace(/\/+$/, '')
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res, limit, prefix, handle).catch((error: unknown) => {
      // A bug of the receiver's own: answer something rather than leave the exporter waiting.
      if (!res.headersSent) plain(res, 500, `receiver error: ${(error as Error).message}`)
      else res.destroy()
    })
  }
  const server: Server =
    options.tls === undefined
      ? createHttpServer(onRequest)
      : createHttpsServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          ...(options.tls.clientCa === undefined
            ? {}
            : { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: true })
        },
        onRequest
      )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as { port: number }
  return {
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    }
  }
}

async function serve (
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  prefix: string,
  handle: ExportHandler
): Promise<void> {
  const path = (req.url ?? '').split('?')[0]!
  const signal = path.startsWith(`${prefix}/`) ? PATHS[path.slice(prefix.length)] : undefined
  if (signal === undefined) return plain(res, 404, 'not an OTLP/HTTP path (POST /v1/traces, /v1/logs or /v1/metrics)')
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST')
    return plain(res, 405, 'OTLP/HTTP exports are POSTed')
  }
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  const format = FORMATS[contentType]
  if (format === undefined) {
    return plain(res, 415, `unsupported content type '${contentType}': use application/x-protobuf or application/json`)
  }
  const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
  if (contentEncoding !== 'gzip' && contentEncoding !== 'identity') {
    return plain(res, 415, `unsupported content encoding '${contentEncoding}': use gzip`)
  }

  const raw = await readBody(req, limit)
  if (raw === undefined) return plain(res, 413, `request larger than ${limit} bytes`)
  let body = raw
  if (contentEncoding === 'gzip') {
    try {
      body = await gunzipAsync(raw, { maxOutputLength: limit })
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return plain(res, 413, `request larger than ${limit} bytes once gunzipped`)
      }
      return answer(res, format, 400, statusMessage(format, 3, `undecodable gzip body: ${(error as Error).message}`))
    }
  }

  // From the raw list: Node keeps only the first of some repeated headers (authorization among
  // them), and a header sent twice must show as two.
  const headers: Record<string, string> = {}
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const key = req.rawHeaders[i]!.toLowerCase()
    headers[key] = headers[key] === undefined ? req.rawHeaders[i + 1]! : `${headers[key]}, ${req.rawHeaders[i + 1]!}`
  }
  const outcome = handle({ signal, transport: 'http', format, contentType, contentEncoding, body, headers })
  const { code, httpStatus = 500 } = outcomeStatus(outcome, 'http')
  switch (outcome.kind) {
    case 'accepted':
      return answer(res, format, httpStatus, exportResponse(signal, format, outcome.partial))
    case 'undecodable':
      return answer(res, format, httpStatus, statusMessage(format, code, `undecodable request: ${outcome.message}`))
    case 'unauthenticated':
      return answer(res, format, httpStatus, statusMessage(format, code, 'missing or wrong credentials'))
    case 'fault': {
      const { fault } = outcome
      const retryAfter = 'retryAfterSeconds' in fault ? fault.retryAfterSeconds : undefined
      if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter))
      return answer(res, format, httpStatus, statusMessage(format, code, fault.message ?? 'injected failure'))
    }
  }
}

/** The whole body, or undefined once it passes `limit` bytes (the rest is read and dropped). */
async function readBody (req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size <= limit) chunks.push(chunk)
  }
  return size > limit ? undefined : Buffer.concat(chunks)
}

function answer (res: ServerResponse, format: BodyFormat, status: number, body: Buffer): void {
  const contentType = format === 'json' ? 'application/json' : 'application/x-protobuf'
  res.writeHead(status, { 'content-type': contentType, 'content-length': body.length })
  res.end(body)
}

function plain (res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' })
  res.end(text)
}
