import type { ChannelCredentials, Client, ClientUnaryCall, Metadata, ServiceError } from '@grpc/grpc-js'
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base'
import { createRequire } from 'node:module'
import { classifyFailure } from '../failure.js'
import { exporterUserAgent } from '../user-agent.js'
import { classifyGrpcError, GrpcCode, RequestTooLargeError } from './grpc-status.js'
import { grpcErrorHint, tidyGrpcMessage } from './grpc-hints.js'
import type { TlsGiven } from '../tls-hints.js'

/**
 * The gRPC transport under the OTLP exporter, in place of OpenTelemetry JS's own; the exporter around
 * it is upstream's (otlp-grpc-exporter.ts). docs/internals/upstream-parts.md, "The gRPC transport",
 * has the measurements. Two things upstream's cannot do:
 * - Reconnect promptly. grpc-js backs off reconnecting up to 120 s, and while it waits every call
 *   fails at once without trying; upstream's transport takes no channel options. After a 60 s
 *   collector outage its first export succeeded 16.5 s (median) after the collector was back, ours
 *   0.9 s: here the reconnect backoff is capped at RECONNECT_MAX_MILLIS, so each retry really tries.
 * - Let go at shutdown. Upstream's closes its client, which does not end calls already made: a call
 *   to a collector that never answers keeps the process alive until its deadline. Here shutdown
 *   cancels the calls under way.
 * Besides, a request over `maxRequestBytes` is not sent: it fails with RESOURCE_EXHAUSTED at once and
 * the batch processor splits the batch. (A collector refuses such a request after one HTTP/2 window
 * and names the size, which splits it too: this only saves that round trip.)
 *
 * What upstream's transport does besides is kept (a contract test runs both):
 * its user agent, after ours, as upstream writes a user-supplied one; and its recovery from a
 * connection that went dead without closing (a half-open HTTP/2 connection behind a load balancer
 * or NAT): after more than MAX_DEADLINES_IN_A_ROW consecutive DEADLINE_EXCEEDED the client is closed
 * and the next export makes a new one. Reconnect backoff cannot help there: the channel believes it
 * is connected.
 */

/** The OTLP service a transport calls: one per signal. */
export interface OtlpGrpcService {
  /** `/opentelemetry.proto.collector.trace.v1.TraceService/Export`, say. */
  path: string
  /** The client's name in grpc-js (diagnostics only). */
  name: string
}

export const TRACE_SERVICE: OtlpGrpcService = Object.freeze({
  path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  name: 'TraceExportService'
})
export const LOGS_SERVICE: OtlpGrpcService = Object.freeze({
  path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  name: 'LogsExportService'
})

export interface GrpcTransportOptions {
  service: OtlpGrpcService
  /** `host:port`. */
  address: string
  credentials: ChannelCredentials
  metadata: Metadata
  compression: 'gzip' | 'none'
  /** Larger requests are refused here, before sending (the collector's own limit is usually 4 MiB). */
  maxRequestBytes: number
  /** What TLS was given (undefined: plaintext), for the hints in failures' messages. */
  tls?: TlsGiven
}

const RECONNECT_INITIAL_MILLIS = 250
/** Upstream's MAX_DEADLINE_EXCEEDED_COUNT: one more in a row and the client is replaced. */
export const MAX_DEADLINES_IN_A_ROW = 5
export const RECONNECT_MAX_MILLIS = 1000
/** grpc-js's values, so that grpc-js is loaded only when the first export happens. */
const COMPRESSION_GZIP = 2
const COMPRESSION_NONE = 0

type ExportClient = Client & {
  export(
    request: Buffer,
    metadata: Metadata,
    options: { deadline: number },
    callback: (error: ServiceError | null, response?: Buffer) => void
  ): ClientUnaryCall
}

export class GrpcTransport implements IExporterTransport {
  private client: ExportClient | undefined
  /** Consecutive DEADLINE_EXCEEDED on the current client; a success resets it. */
  private deadlinesInARow = 0
  /** Calls under way, for shutdown to cancel. */
  private readonly calls = new Set<ClientUnaryCall>()
  /** After shutdown no call is made: a new client would be a channel nobody closes. */
  private shut = false

  constructor (private readonly options: GrpcTransportOptions) {}

  send (data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    if (data.byteLength > this.options.maxRequestBytes) {
      return Promise.resolve({
        status: 'failure',
        error: classified(new RequestTooLargeError(data.byteLength, this.options.maxRequestBytes))
      })
    }
    if (this.shut) return Promise.resolve({ status: 'failure', error: new Error('the exporter is shut down') })
    let client: ExportClient
    try {
      client = this.client ??= this.createClient()
    } catch (error) {
      return Promise.resolve({ status: 'failure', error: error instanceof Error ? error : new Error(String(error)) })
    }
    return new Promise((resolve) => {
      let settled = false
      const call = client.export(
        Buffer.from(data.buffer, data.byteOffset, data.byteLength),
        this.options.metadata,
        { deadline: Date.now() + timeoutMillis },
        (error, response) => {
          settled = true
          this.calls.delete(call)
          if (error === null) {
            this.deadlinesInARow = 0
            resolve({ status: 'success', ...(response === undefined ? {} : { data: response }) })
            return
          }
          if (error.code === GrpcCode.DEADLINE_EXCEEDED) this.deadlineExceeded(client)
          resolve({ status: 'failure', error: classified(withHint(error, this.options.tls)) })
        }
      )
      if (!settled) this.calls.add(call)
    })
  }

  /** Cancels the calls under way (each fails at once with CANCELLED) and closes the client. */
  shutdown (): void {
    this.shut = true
    const calls = [...this.calls]
    this.calls.clear()
    for (const call of calls) call.cancel()
    this.client?.close()
    this.client = undefined
  }

  private deadlineExceeded (client: ExportClient): void {
    // A call on a client already replaced says nothing about the new one.
    if (client !== this.client || ++this.deadlinesInARow <= MAX_DEADLINES_IN_A_ROW) return
    this.client = undefined
    client.close()
  }

  private createClient (): ExportClient {
    // Loaded on first use: nothing of gRPC is needed until something is exported.
    const grpc = createRequire(__filename)('@grpc/grpc-js') as typeof import('@grpc/grpc-js')
    const identity = (value: Buffer): Buffer => value
    const Export = grpc.makeGenericClientConstructor(
      {
        export: {
          path: this.options.service.path,
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity
        }
      },
      this.options.service.name
    )
    this.deadlinesInARow = 0
    return new Export(this.options.address, this.options.credentials, {
      'grpc.default_compression_algorithm': this.options.compression === 'gzip' ? COMPRESSION_GZIP : COMPRESSION_NONE,
      'grpc.primary_user_agent': exporterUserAgent('@opentelemetry/otlp-grpc-exporter-base'),
      'grpc.initial_reconnect_backoff_ms': RECONNECT_INITIAL_MILLIS,
      'grpc.max_reconnect_backoff_ms': RECONNECT_MAX_MILLIS,
      // The collector's answer to a request of ours is small; the default 4 MiB receive limit stays.
      'grpc.max_send_message_length': this.options.maxRequestBytes
    }) as unknown as ExportClient
  }
}

/**
 * The error with grpc-js's empty notes taken out and a hint where its own message says little; its
 * code and details stay as they were.
 */
function withHint (error: ServiceError, tls: TlsGiven | undefined): ServiceError {
  error.message = tidyGrpcMessage(error.message)
  if (error.code !== GrpcCode.UNAVAILABLE) return error
  const hint = grpcErrorHint(error.message, tls)
  if (hint !== undefined) error.message = `${error.message.trimEnd()} (${hint})`
  return error
}

/** A failure as the queue and the retries read it: this transport speaks gRPC status codes. */
function classified<E extends Error> (error: E): E {
  return classifyFailure(error, classifyGrpcError(error))
}
