import {
  Metadata, Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, type ServiceDefinition
} from '@grpc/grpc-js'
import { MessageWriter, readFields, WIRE_BYTES } from '../sdk/export/protowire.js'
import { decodeLogsRequest, type ReceivedLogRecord } from './decode-logs.js'
import { decodeTraceRequest, type ReceivedSpan } from './decode-traces.js'

/**
 * A real OTLP/gRPC receiver on loopback (the trace and the logs service), for the end-to-end
 * tests, the demo and the benchmarks. It can be told to fail (any gRPC code, with a RetryInfo
 * delay), to answer with a partial success, to require headers, to speak TLS, and to stop and
 * restart on the same port.
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
  /** Count spans and log records without decoding or keeping them (benchmarks): `spans` and `logs` stay empty. */
  countOnly?: boolean
  /** The largest request accepted (gRPC's own default: 4 MiB); larger ones get RESOURCE_EXHAUSTED. */
  maxReceiveMessageBytes?: number
}

export type Signal = 'traces' | 'logs'

export interface Fault {
  /** gRPC status code to answer with. */
  code: number
  /** Only for exports of this signal; without it, the next export of either. */
  signal?: Signal
  message?: string
  /** Adds a google.rpc.RetryInfo with this delay to the status details. */
  retryDelayMillis?: number
}

export interface ExportRecord {
  signal: Signal
  spanCount: number
  logCount: number
  /** Size of the request message (before any transport compression). */
  bytes: number
  /** The request's metadata, lower-cased keys, as the receiver saw it. */
  headers: Record<string, string>
  /** The status code answered (0 = OK). */
  code: number
}

const TRACE_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export'
const LOGS_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export'

export class OtlpReceiver {
  /** Every span received, in arrival order. */
  readonly spans: ReceivedSpan[] = []
  /** Every log record received, in arrival order. */
  readonly logs: ReceivedLogRecord[] = []
  /** One record per export request (not kept in countOnly mode). */
  readonly exports: ExportRecord[] = []
  /** Spans received in all, also in countOnly mode. */
  spanCount = 0
  /** Log records received in all, also in countOnly mode. */
  logCount = 0
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

  /** Resolves once `predicate` holds for the received log records; rejects after `timeoutMillis`. */
  async waitForLogs (predicate: (logs: ReceivedLogRecord[]) => boolean, timeoutMillis = 10_000): Promise<ReceivedLogRecord[]> {
    if (predicate(this.logs)) return this.logs
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.logs)) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve(this.logs)
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`the receiver did not get the expected log records within ${timeoutMillis} ms (has ${this.logs.length}: ${this.logs.map((l) => String(l.body)).join(', ')})`))
      }, timeoutMillis)
      this.waiters.add(check)
    })
  }

  /** Log records grouped by trace id, in arrival order (records outside any trace under ''). */
  logsByTrace (): Map<string, ReceivedLogRecord[]> {
    const traces = new Map<string, ReceivedLogRecord[]>()
    for (const record of this.logs) {
      const list = traces.get(record.traceId) ?? []
      list.push(record)
      traces.set(record.traceId, list)
    }
    return traces
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
    server.addService(service(TRACE_PATH), { Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => this.onExport('traces', call, callback) })
    server.addService(service(LOGS_PATH), { Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => this.onExport('logs', call, callback) })
    const credentials = this.options.tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(null, [{ cert_chain: this.options.tls.cert, private_key: this.options.tls.key }], false)
    const host = this.options.host ?? '127.0.0.1'
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${port}`, credentials, (error, bound) => (error === null ? resolve(bound) : reject(error)))
    })
    this.server = server
  }

  private onExport (signal: Signal, call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void {
    if (this.options.countOnly === true) {
      if (signal === 'traces') this.spanCount += countItems(call.request)
      else this.logCount += countItems(call.request)
      callback(null, Buffer.alloc(0))
      return
    }
    const headers: Record<string, string> = {}
    for (const [key, value] of Object.entries(call.metadata.getMap())) headers[key] = String(value)
    const record = (count: number, code: number): ExportRecord =>
      ({ signal, spanCount: signal === 'traces' ? count : 0, logCount: signal === 'logs' ? count : 0, bytes: call.request.length, headers, code })
    let items: ReceivedSpan[] | ReceivedLogRecord[]
    try {
      items = signal === 'traces' ? decodeTraceRequest(call.request) : decodeLogsRequest(call.request)
    } catch (error) {
      this.exports.push(record(0, 3))
      callback({ code: 3, details: `undecodable request: ${(error as Error).message}` })
      return
    }
    const required = Object.entries(this.options.requiredHeaders ?? {})
    if (required.some(([key, value]) => headers[key] !== value)) {
      this.exports.push(record(items.length, 16))
      callback({ code: 16, details: 'missing or wrong credentials' })
      return
    }
    const faultAt = this.faults.findIndex((f) => f.signal === undefined || f.signal === signal)
    const fault = faultAt === -1 ? undefined : this.faults.splice(faultAt, 1)[0]
    if (fault !== undefined) {
      this.exports.push(record(items.length, fault.code))
      const metadata = new Metadata()
      if (fault.retryDelayMillis !== undefined) metadata.set('grpc-status-details-bin', retryInfoStatus(fault))
      callback({ code: fault.code, details: fault.message ?? 'injected failure', metadata })
      return
    }
    this.exports.push(record(items.length, 0))
    if (signal === 'traces') {
      this.spans.push(...items as ReceivedSpan[])
      this.spanCount += items.length
    } else {
      this.logs.push(...items as ReceivedLogRecord[])
      this.logCount += items.length
    }
    const partial = this.partial
    this.partial = undefined
    callback(null, partial === undefined ? Buffer.alloc(0) : partialSuccess(partial.rejectedSpans, partial.errorMessage))
    for (const waiter of [...this.waiters]) waiter()
  }
}

/**
 * Spans (or log records) in a request, found by walking resource_spans (1) > scope_spans (2) >
 * spans (2) without decoding them; logs have the same field numbers.
 */
function countItems (request: Buffer): number {
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

/**
 * ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1 { int64 rejected_spans = 1; string error_message = 2 } };
 * the logs service's response has the same shape (rejected_log_records).
 */
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
