import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  type ServiceDefinition
} from '@grpc/grpc-js'
import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2'
import { outcomeStatus } from './outcome-status.js'
import type { ExportHandler, Listener, ListenOptions, Signal } from './receiver-types.js'
import { exportResponse, retryInfoStatus } from './responses.js'

/**
 * The OTLP/gRPC side of the receiver: the trace, logs and metrics services, with raw-buffer
 * (de)serialisation (the receiver's own decoders read the messages), answering each outcome with
 * its status code (and a google.rpc.RetryInfo in `grpc-status-details-bin` when a fault has a delay).
 */

const SERVICE_PATHS: Record<Signal, string> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'
}

/** HTTP/2's bounds for a flow-control window (RFC 9113, 6.9.2). */
const MIN_WINDOW = 65_535
const MAX_WINDOW = 2 ** 31 - 1

export async function listenGrpc (options: ListenOptions, handle: ExportHandler): Promise<Listener> {
  const window = options.grpcFlowControlWindowBytes
  if (window !== undefined && !(Number.isInteger(window) && window >= MIN_WINDOW && window <= MAX_WINDOW)) {
    throw new RangeError(
      `grpcFlowControlWindowBytes must be a whole number of bytes from ${MIN_WINDOW} to ${MAX_WINDOW}`
    )
  }
  const limit = options.maxReceiveMessageBytes
  const server = new Server(limit === undefined ? {} : { 'grpc.max_receive_message_length': limit })
  for (const signal of Object.keys(SERVICE_PATHS) as Signal[]) {
    server.addService(service(SERVICE_PATHS[signal]), {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, respond: sendUnaryData<Buffer>) => {
        onExport(signal, call, respond, handle)
      }
    })
  }
  const credentials =
    options.tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(
        options.tls.clientCa ?? null,
        [{ cert_chain: options.tls.cert, private_key: options.tls.key }],
        options.tls.clientCa !== undefined
      )
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, credentials, (error, bound) => {
      if (error === null) resolve(bound)
      else reject(error)
    })
  })
  if (window !== undefined) {
    try {
      widenFlowControlWindow(server, window)
    } catch (error) {
      server.forceShutdown()
      throw error
    }
  }
  return { port, close: async () => server.forceShutdown() }
}

/**
 * Grants every connection, and every stream on it, a flow-control window of `bytes` (what a
 * collector's grpc-go server reaches by itself, from the bandwidth-delay product). grpc-js takes
 * no option for it, so its HTTP/2 servers are reached through its `http2Servers` map; should a
 * later grpc-js rename that, this fails loudly rather than let the benchmarks measure a 64 KiB
 * window without saying so.
 */
function widenFlowControlWindow (server: Server, bytes: number): void {
  const http2Servers = (server as unknown as { http2Servers?: Map<Http2Server | Http2SecureServer, unknown> })
    .http2Servers
  if (!(http2Servers instanceof Map) || http2Servers.size === 0) {
    throw new Error('cannot set the gRPC flow-control window: grpc-js no longer exposes its HTTP/2 servers')
  }
  for (const http2Server of http2Servers.keys()) {
    http2Server.on('session', (session: ServerHttp2Session) => {
      // A client that connected and left at once: nothing to widen.
      if (session.destroyed) return
      session.settings({ initialWindowSize: bytes })
      session.setLocalWindowSize(bytes)
    })
  }
}

function onExport (
  signal: Signal,
  call: ServerUnaryCall<Buffer, Buffer>,
  respond: sendUnaryData<Buffer>,
  handle: ExportHandler
): void {
  // Every value of a key, joined: a header sent twice shows as two.
  const headers: Record<string, string> = {}
  for (const key of Object.keys(call.metadata.getMap())) headers[key] = call.metadata.get(key).map(String).join(', ')
  const outcome = handle({
    signal,
    transport: 'grpc',
    format: 'protobuf',
    contentType: 'application/grpc',
    body: call.request,
    headers
  })
  const { code } = outcomeStatus(outcome, 'grpc')
  // grpc-js takes a refusal as a status object ({ code, details, metadata }), not an Error.
  switch (outcome.kind) {
    case 'accepted':
      respond(null, exportResponse(signal, 'protobuf', outcome.partial))
      return
    case 'undecodable':
      respond({ code, details: `undecodable request: ${outcome.message}` })
      return
    case 'unauthenticated':
      respond({ code, details: 'missing or wrong credentials' })
      return
    case 'fault': {
      const { fault } = outcome
      const message = fault.message ?? 'injected failure'
      const metadata = new Metadata()
      const delay = 'retryDelayMillis' in fault ? fault.retryDelayMillis : undefined
      if (delay !== undefined) {
        metadata.set('grpc-status-details-bin', retryInfoStatus(code, fault.message ?? '', delay))
      }
      respond({ code, details: message, metadata })
    }
  }
}

/** An OTLP service with raw-buffer (de)serialisation: decoding is done by the decoders. */
const service = (path: string): ServiceDefinition => ({
  Export: {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (bytes: Buffer) => bytes
  }
})
