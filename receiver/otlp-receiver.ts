import {
  Metadata, Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, type ServiceDefinition
} from '@grpc/grpc-js'
import { MessageWriter, readFields, WIRE_BYTES } from '../sdk/export/protowire.js'
import { decodeTraceRequest, type ReceivedSpan } from './decode-traces.js'

/**
 * A real OTLP/gRPC trace receiver on loopback, for the end-to-end tests, the demo and the
 * benchmarks. It can be told to fail (any gRPC code, with a RetryInfo delay), to answer with a
 * partial success, to require headers, to speak TLS, and to stop and restart on the same port.
 */

export interface ReceiverTls {
  cert: Buffer
  key: Buffer
}

export interface ReceiverOptions {
  host?: string
  /** 0 (the default) picks a free port. */
  port?: number
  tls?: ReceiverTls
  /** Metadata every export must carry (say, `authorization`); others get UNAUTHENTICATED. */
  requiredHeaders?: Record<string, string>
  /** Count spans without decoding or keeping them (benchmarks): `spans` stays empty. */
  countOnly?: boolean
  /** The largest request accepted (gRPC's own default: 4 MiB); larger ones get RESOURCE_EXHAUSTED. */
  maxReceiveMessageBytes?: number
}

export interface Fault {
  /** gRPC status code to answer with. */
  code: number
  message?: string
  /** Adds a google.rpc.RetryInfo with this delay to the status details. */
  retryDelayMillis?: number
}

export interface ExportRecord {
  spanCount: number
  /** Size of the request message (before any transport compression). */
  bytes: number
  /** The request's metadata, lower-cased keys, as the receiver saw it. */
  headers: Record<string, string>
  /** The status code answered (0 = OK). */
  code: number
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export'

export class OtlpReceiver {
  /** Every span received, in arrival order. */
  readonly spans: ReceivedSpan[] = []
  /** One record per export request (not kept in countOnly mode). */
  readonly exports: ExportRecord[] = []
  /** Spans received in all, also in countOnly mode. */
  spanCount = 0
  private readonly faults: Fault[] = []
  private partial: { rejectedSpans: number, errorMessage: string } | undefined
  private readonly waiters = new Set<() => void>()
  private server: Server | undefined
  private boundPort = 0

  private constructor (private readonly options: ReceiverOptions) {}

  static async start (options: ReceiverOptions = {}): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver(options)
    await receiver.listen(options.port ?? 0)
    return receiver
  }

  get port (): number {
    return this.boundPort
  }

  /** The endpoint to give the exporter: https://localhost:port with TLS, http://127.0.0.1:port without. */
  get endpoint (): string {
    return this.options.tls === undefined ? `http://127.0.0.1:${this.boundPort}` : `https://localhost:${this.boundPort}`
  }

  /** The next exports fail with these statuses, one each, in order. */
  failNext (...faults: Fault[]): void {
    this.faults.push(...faults)
  }

  /** The next successful export answers with a partial success. */
  respondPartially (rejectedSpans: number, errorMessage: string): void {
    this.partial = { rejectedSpans, errorMessage }
  }

  /** Resolves once `predicate` holds for the received spans; rejects after `timeoutMillis`. */
  async waitFor (predicate: (spans: ReceivedSpan[]) => boolean, timeoutMillis = 10_000): Promise<ReceivedSpan[]> {
    if (predicate(this.spans)) return this.spans
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.spans)) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve(this.spans)
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`the receiver did not get the expected spans within ${timeoutMillis} ms (has ${this.spans.length}: ${this.spans.map((s) => s.name).join(', ')})`))
      }, timeoutMillis)
      this.waiters.add(check)
    })
  }

  /** Spans grouped by trace id, in arrival order. */
  traces (): Map<string, ReceivedSpan[]> {
    const traces = new Map<string, ReceivedSpan[]>()
    for (const span of this.spans) {
      const list = traces.get(span.traceId) ?? []
      list.push(span)
      traces.set(span.traceId, list)
    }
    return traces
  }

  /** Stops listening at once (in-flight calls are cancelled), like a collector that died. */
  async stop (): Promise<void> {
    const server = this.server
    this.server = undefined
    server?.forceShutdown()
  }

  /** Listens again on the same port, like a collector that came back. */
  async restart (): Promise<void> {
    await this.listen(this.boundPort)
  }

  private async listen (port: number): Promise<void> {
    const server = new Server(this.options.maxReceiveMessageBytes === undefined ? {} : { 'grpc.max_receive_message_length': this.options.maxReceiveMessageBytes })
    server.addService(TRACE_SERVICE, { Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => this.onExport(call, callback) })
    const credentials = this.options.tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(null, [{ cert_chain: this.options.tls.cert, private_key: this.options.tls.key }], false)
    const host = this.options.host ?? '127.0.0.1'
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${port}`, credentials, (error, bound) => (error === null ? resolve(bound) : reject(error)))
    })
    this.server = server
  }

  private onExport (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void {
    if (this.options.countOnly === true) {
      this.spanCount += countSpans(call.request)
      callback(null, Buffer.alloc(0))
      return
    }
    const headers: Record<string, string> = {}
    for (const [key, value] of Object.entries(call.metadata.getMap())) headers[key] = String(value)
    let spans: ReceivedSpan[]
    try {
      spans = decodeTraceRequest(call.request)
    } catch (error) {
      this.exports.push({ spanCount: 0, bytes: call.request.length, headers, code: 3 })
      callback({ code: 3, details: `undecodable request: ${(error as Error).message}` })
      return
    }
    const required = Object.entries(this.options.requiredHeaders ?? {})
    if (required.some(([key, value]) => headers[key] !== value)) {
      this.exports.push({ spanCount: spans.length, bytes: call.request.length, headers, code: 16 })
      callback({ code: 16, details: 'missing or wrong credentials' })
      return
    }
    const fault = this.faults.shift()
    if (fault !== undefined) {
      this.exports.push({ spanCount: spans.length, bytes: call.request.length, headers, code: fault.code })
      const metadata = new Metadata()
      if (fault.retryDelayMillis !== undefined) metadata.set('grpc-status-details-bin', retryInfoStatus(fault))
      callback({ code: fault.code, details: fault.message ?? 'injected failure', metadata })
      return
    }
    this.exports.push({ spanCount: spans.length, bytes: call.request.length, headers, code: 0 })
    this.spans.push(...spans)
    this.spanCount += spans.length
    const partial = this.partial
    this.partial = undefined
    callback(null, partial === undefined ? Buffer.alloc(0) : partialSuccess(partial.rejectedSpans, partial.errorMessage))
    for (const waiter of [...this.waiters]) waiter()
  }
}

/** Spans in a request, found by walking resource_spans (1) > scope_spans (2) > spans (2) without decoding them. */
function countSpans (request: Buffer): number {
  let count = 0
  for (const resourceSpans of readFields(request)) {
    if (resourceSpans.field !== 1 || resourceSpans.wire !== WIRE_BYTES) continue
    for (const scopeSpans of readFields(resourceSpans.value as Buffer)) {
      if (scopeSpans.field !== 2 || scopeSpans.wire !== WIRE_BYTES) continue
      for (const field of readFields(scopeSpans.value as Buffer)) if (field.field === 2 && field.wire === WIRE_BYTES) count++
    }
  }
  return count
}

/** The TraceService with raw-buffer (de)serialisation: decoding is done by decodeTraceRequest. */
const TRACE_SERVICE: ServiceDefinition = {
  Export: {
    path: EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (bytes: Buffer) => bytes
  }
}

/** ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1 { int64 rejected_spans = 1; string error_message = 2 } } */
function partialSuccess (rejectedSpans: number, errorMessage: string): Buffer {
  const inner = new MessageWriter().varint(1, rejectedSpans).bytes(2, errorMessage).finish()
  return new MessageWriter().bytes(1, inner).finish()
}

/** google.rpc.Status { code = 1, message = 2, details = 3: Any { type_url = 1, value = 2: RetryInfo { retry_delay = 1: Duration } } } */
function retryInfoStatus (fault: Fault): Buffer {
  const millis = fault.retryDelayMillis ?? 0
  const duration = new MessageWriter().varint(1, Math.floor(millis / 1000)).varint(2, Math.round((millis % 1000) * 1e6)).finish()
  const retryInfo = new MessageWriter().bytes(1, duration).finish()
  const any = new MessageWriter().bytes(1, 'type.googleapis.com/google.rpc.RetryInfo').bytes(2, retryInfo).finish()
  return new MessageWriter().varint(1, fault.code).bytes(2, fault.message ?? '').bytes(3, any).finish()
}
