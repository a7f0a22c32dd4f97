import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  type ServiceDefinition
} from '@grpc/grpc-js'
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

export async function listenGrpc (options: ListenOptions, handle: ExportHandler): Promise<Listener> {
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
  return { port, close: async () => server.forceShutdown() }
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
