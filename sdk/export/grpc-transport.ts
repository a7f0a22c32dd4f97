import type { ChannelCredentials, Client, Metadata, ServiceError } from '@grpc/grpc-js'
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base'
import { createRequire } from 'node:module'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import { GrpcCode } from './grpc-status.js'

/**
 * The gRPC transport under the OTLP exporter, in place of OpenTelemetry JS's own (README, "Export
 * that survives faults"; the exporter around it is upstream's, see exporter.ts). Two things upstream's
 * cannot do:
 * - Reconnect promptly. grpc-js backs off reconnecting up to 120 s, and while it waits every call
 *   fails at once without trying; upstream's transport takes no channel options. After a collector
 *   outage the first export then succeeded 5.5 s and 12 s after the collector was back. Here the
 *   reconnect backoff is capped at RECONNECT_MAX_MILLIS, so each retry really tries.
 * - Know the size of a request. A request larger than the collector accepts is answered
 *   RESOURCE_EXHAUSTED and the whole batch is lost; here a request over `maxRequestBytes` is not
 *   sent, it fails with RESOURCE_EXHAUSTED at once, and the batch processor splits the batch.
 */

/** The OTLP service a transport calls: one per signal. */
export interface OtlpGrpcService {
  /** `/opentelemetry.proto.collector.trace.v1.TraceService/Export`, say. */
  path: string
  /** The client's name in grpc-js (diagnostics only). */
  name: string
}

export const TRACE_SERVICE: OtlpGrpcService = Object.freeze({ path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', name: 'TraceExportService' })
export const LOGS_SERVICE: OtlpGrpcService = Object.freeze({ path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export', name: 'LogsExportService' })

export interface GrpcTransportOptions {
  service: OtlpGrpcService
  /** `host:port`. */
  address: string
  credentials: ChannelCredentials
  metadata: Metadata
  compression: 'gzip' | 'none'
  /** Larger requests are refused here, before sending (the collector's own limit is usually 4 MiB). */
  maxRequestBytes: number
}

const RECONNECT_INITIAL_MILLIS = 250
export const RECONNECT_MAX_MILLIS = 1000
/** grpc-js's values, so that grpc-js is loaded only when the first export happens. */
const COMPRESSION_GZIP = 2
const COMPRESSION_NONE = 0

type ExportClient = Client & {
  export(request: Buffer, metadata: Metadata, options: { deadline: number }, callback: (error: ServiceError | null, response?: Buffer) => void): void
}

export class GrpcTransport implements IExporterTransport {
  private client: ExportClient | undefined

  constructor (private readonly options: GrpcTransportOptions) {}

  send (data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    if (data.byteLength > this.options.maxRequestBytes) {
      return Promise.resolve({ status: 'failure', error: tooLarge(data.byteLength, this.options.maxRequestBytes) })
    }
    let client: ExportClient
    try {
      client = this.client ??= this.createClient()
    } catch (error) {
      return Promise.resolve({ status: 'failure', error: error instanceof Error ? error : new Error(String(error)) })
    }
    return new Promise((resolve) => {
      client.export(Buffer.from(data.buffer, data.byteOffset, data.byteLength), this.options.metadata, { deadline: Date.now() + timeoutMillis }, (error, response) => {
        resolve(error === null ? { status: 'success', ...(response === undefined ? {} : { data: response }) } : { status: 'failure', error })
      })
    })
  }

  shutdown (): void {
    this.client?.close()
    this.client = undefined
  }

  private createClient (): ExportClient {
    // Loaded on first use: nothing of gRPC is needed until something is exported.
    const grpc = createRequire(__filename)('@grpc/grpc-js') as typeof import('@grpc/grpc-js')
    const identity = (value: Buffer): Buffer => value
    const Export = grpc.makeGenericClientConstructor({
      export: { path: this.options.service.path, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity }
    }, this.options.service.name)
    return new Export(this.options.address, this.options.credentials, {
      'grpc.default_compression_algorithm': this.options.compression === 'gzip' ? COMPRESSION_GZIP : COMPRESSION_NONE,
      'grpc.primary_user_agent': `${PACKAGE_NAME}/${PACKAGE_VERSION}`,
      'grpc.initial_reconnect_backoff_ms': RECONNECT_INITIAL_MILLIS,
      'grpc.max_reconnect_backoff_ms': RECONNECT_MAX_MILLIS,
      // The collector's answer to a request of ours is small; the default 4 MiB receive limit stays.
      'grpc.max_send_message_length': this.options.maxRequestBytes
    }) as unknown as ExportClient
  }
}

/** The error a collector gives for a request over its limit, raised here before sending. */
function tooLarge (bytes: number, limit: number): Error {
  return Object.assign(new Error(`${GrpcCode.RESOURCE_EXHAUSTED} RESOURCE_EXHAUSTED: the request is ${bytes} bytes, over the ${limit}-byte limit; not sent`), {
    code: GrpcCode.RESOURCE_EXHAUSTED,
    details: 'request over the message size limit'
  })
}
