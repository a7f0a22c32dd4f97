import type { ReceivedLogRecord } from './decode-logs.js'
import type { ReceivedMetric } from './decode-metrics.js'
import { countItems, decodeRequest } from './decode-request.js'
import type { ReceivedSpan } from './decode-traces.js'
import { listenGrpc } from './grpc-listener.js'
import { listenHttp } from './http-listener.js'
import { outcomeStatus } from './outcome-status.js'
import type {
  DecodedItems,
  ExportOutcome,
  ExportRecord,
  Fault,
  IncomingExport,
  Listener,
  ReceiverOptions,
  Signal
} from './receiver-types.js'

export type {
  ExportRecord,
  Fault,
  GrpcFault,
  HttpFault,
  ReceiverOptions,
  ReceiverTls,
  Signal,
  Transport
} from './receiver-types.js'
export type { ReceivedDataPoint, ReceivedMetric } from './decode-metrics.js'
export type { ReceivedLogRecord } from './decode-logs.js'
export type { ReceivedSpan } from './decode-traces.js'
export type { DecodedItems, ExportSource } from './receiver-types.js'

/**
 * A real OTLP receiver on loopback for the end-to-end tests, the demo and the benchmarks: OTLP/gRPC
 * (the trace, logs and metrics services) on `endpoint`, and OTLP/HTTP (protobuf and JSON, gzip or
 * not) on `httpEndpoint`, both feeding the same lists. It can be told to fail (a gRPC code with a
 * RetryInfo delay, an HTTP status with Retry-After), to answer with a partial success, to require
 * headers, to speak TLS, and to stop and restart on the same ports.
 */
export class OtlpReceiver {
  /** Every span received, in arrival order. */
  readonly spans: ReceivedSpan[] = []
  /** Every log record received, in arrival order. */
  readonly logs: ReceivedLogRecord[] = []
  /** Every metric received (one entry per metric per export), in arrival order. */
  readonly metrics: ReceivedMetric[] = []
  /** One record per export request that reached a service (not kept in countOnly mode). */
  readonly exports: ExportRecord[] = []
  /** Spans received in all, also in countOnly mode. */
  spanCount = 0
  /** Log records received in all, also in countOnly mode. */
  logCount = 0
  /** Metrics received in all, also in countOnly mode. */
  metricCount = 0
  private readonly faults: Fault[] = []
  private partial: { rejected: number; errorMessage: string } | undefined
  private readonly waiters = new Set<() => void>()
  private grpc: Listener | undefined
  private http: Listener | undefined
  private grpcPort = 0
  private boundHttpPort = 0

  private constructor (private readonly options: ReceiverOptions) {}

  static async start (options: ReceiverOptions = {}): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver(options)
    await receiver.listen(options.port ?? 0, options.httpPort ?? 0)
    return receiver
  }

  /** The gRPC port. */
  get port (): number {
    return this.grpcPort
  }

  get httpPort (): number {
    return this.boundHttpPort
  }

  /** The gRPC endpoint to give an exporter: https://localhost:port with TLS, http://127.0.0.1:port without. */
  get endpoint (): string {
    return this.base(this.grpcPort)
  }

  /** The OTLP/HTTP base endpoint (an exporter appends /v1/traces, /v1/logs, /v1/metrics). */
  get httpEndpoint (): string {
    return `${this.base(this.boundHttpPort)}${(this.options.httpPathPrefix ?? '').replace(/\/+$/, '')}`
  }

  /**
   * The next exports fail with these faults, one each, in order: `{ code }` applies to a gRPC
   * export, `{ httpStatus }` to an HTTP one, a fault with both to either.
   */
  failNext (...faults: Fault[]): void {
    for (const fault of faults) {
      if (!('code' in fault) && !('httpStatus' in fault)) {
        throw new TypeError('a fault needs a gRPC `code` or an `httpStatus`')
      }
    }
    this.faults.push(...faults)
  }

  /** The next successful export (of any signal, over either transport) answers with a partial success. */
  respondPartially (rejected: number, errorMessage: string): void {
    this.partial = { rejected, errorMessage }
  }

  /** Resolves once `predicate` holds for the received spans; rejects after `timeoutMillis`. */
  async waitFor (predicate: (spans: ReceivedSpan[]) => boolean, timeoutMillis = 10_000): Promise<ReceivedSpan[]> {
    return await this.waitUntil(this.spans, predicate, timeoutMillis, 'spans', () => this.spans.map((s) => s.name))
  }

  /** Resolves once `predicate` holds for the received log records; rejects after `timeoutMillis`. */
  async waitForLogs (
    predicate: (logs: ReceivedLogRecord[]) => boolean,
    timeoutMillis = 10_000
  ): Promise<ReceivedLogRecord[]> {
    const bodies = (): string[] => this.logs.map((l) => String(l.body))
    return await this.waitUntil(this.logs, predicate, timeoutMillis, 'log records', bodies)
  }

  /** Resolves once `predicate` holds for the received metrics; rejects after `timeoutMillis`. */
  async waitForMetrics (
    predicate: (metrics: ReceivedMetric[]) => boolean,
    timeoutMillis = 10_000
  ): Promise<ReceivedMetric[]> {
    const names = (): string[] => this.metrics.map((m) => m.name)
    return await this.waitUntil(this.metrics, predicate, timeoutMillis, 'metrics', names)
  }

  /** Log records grouped by trace id, in arrival order (records outside any trace under ''). */
  logsByTrace (): Map<string, ReceivedLogRecord[]> {
    return groupByTrace(this.logs)
  }

  /** Spans grouped by trace id, in arrival order. */
  traces (): Map<string, ReceivedSpan[]> {
    return groupByTrace(this.spans)
  }

  /** Stops listening at once, on both transports (in-flight requests are cancelled), like a collector that died. */
  async stop (): Promise<void> {
    const listeners = [this.grpc, this.http]
    this.grpc = undefined
    this.http = undefined
    await Promise.all(listeners.map(async (listener) => await listener?.close()))
  }

  /** Listens again on the same ports, like a collector that came back. */
  async restart (): Promise<void> {
    await this.listen(this.grpcPort, this.boundHttpPort)
  }

  private base (port: number): string {
    return this.options.tls === undefined ? `http://127.0.0.1:${port}` : `https://localhost:${port}`
  }

  private async listen (grpcPort: number, httpPort: number): Promise<void> {
    const { host = '127.0.0.1', tls, maxReceiveMessageBytes, grpcFlowControlWindowBytes } = this.options
    const common = { host, tls, maxReceiveMessageBytes }
    const handle = (request: IncomingExport): ExportOutcome => this.accept(request)
    this.grpc = await listenGrpc({ ...common, port: grpcPort, grpcFlowControlWindowBytes }, handle)
    this.grpcPort = this.grpc.port
    try {
      this.http = await listenHttp({ ...common, port: httpPort, httpPathPrefix: this.options.httpPathPrefix }, handle)
    } catch (error) {
      await this.stop()
      throw error
    }
    this.boundHttpPort = this.http.port
  }

  /** Decides one export, whatever the transport: decode, check credentials, apply a fault, keep. */
  private accept (request: IncomingExport): ExportOutcome {
    const { signal, transport, body } = request
    if (this.options.countOnly === true) {
      try {
        this.count(signal, countItems(signal, request.format, body))
        return { kind: 'accepted' }
      } catch (error) {
        return { kind: 'undecodable', message: (error as Error).message }
      }
    }
    let decoded: DecodedItems | undefined
    let outcome: ExportOutcome
    try {
      decoded = decodeRequest(signal, request.format, body)
      outcome = this.decide(request)
    } catch (error) {
      outcome = { kind: 'undecodable', message: (error as Error).message }
    }
    const count = decoded?.items.length ?? 0
    if (this.options.retain !== false) {
      this.exports.push({
        signal,
        spanCount: signal === 'traces' ? count : 0,
        logCount: signal === 'logs' ? count : 0,
        metricCount: signal === 'metrics' ? count : 0,
        transport,
        contentType: request.contentType,
        ...(request.contentEncoding === undefined ? {} : { contentEncoding: request.contentEncoding }),
        bytes: body.length,
        headers: request.headers,
        ...outcomeStatus(outcome, transport)
      })
    }
    if (outcome.kind !== 'accepted' || decoded === undefined) return outcome
    this.keep(decoded)
    try {
      this.options.onReceive?.(decoded, { transport, contentType: request.contentType, headers: request.headers })
    } catch {
      // A listener's own bug must not turn an accepted export into a failed one.
    }
    for (const waiter of [...this.waiters]) waiter()
    return outcome
  }

  /** A decodable export: refused without the required headers, failed by a pending fault, else accepted. */
  private decide ({ signal, transport, headers }: IncomingExport): ExportOutcome {
    const required = Object.entries(this.options.requiredHeaders ?? {})
    if (required.some(([key, value]) => headers[key.toLowerCase()] !== value)) return { kind: 'unauthenticated' }
    const at = this.faults.findIndex(
      (f) => (f.signal === undefined || f.signal === signal) && (transport === 'grpc' ? 'code' in f : 'httpStatus' in f)
    )
    if (at !== -1) return { kind: 'fault', fault: this.faults.splice(at, 1)[0]! }
    const partial = this.partial
    this.partial = undefined
    return partial === undefined ? { kind: 'accepted' } : { kind: 'accepted', partial }
  }

  private keep (decoded: DecodedItems): void {
    this.count(decoded.signal, decoded.items.length)
    if (this.options.retain === false) return
    if (decoded.signal === 'traces') this.spans.push(...decoded.items)
    if (decoded.signal === 'logs') this.logs.push(...decoded.items)
    if (decoded.signal === 'metrics') this.metrics.push(...decoded.items)
  }

  private count (signal: Signal, n: number): void {
    if (signal === 'traces') this.spanCount += n
    if (signal === 'logs') this.logCount += n
    if (signal === 'metrics') this.metricCount += n
  }

  private async waitUntil<T>(
    items: T[],
    predicate: (items: T[]) => boolean,
    timeoutMillis: number,
    noun: string,
    names: () => string[]
  ): Promise<T[]> {
    if (predicate(items)) return items
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(items)) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve(items)
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        const had = names()
        const has = `has ${had.length}: ${had.join(', ')}`
        reject(new Error(`the receiver did not get the expected ${noun} within ${timeoutMillis} ms (${has})`))
      }, timeoutMillis)
      this.waiters.add(check)
    })
  }
}

function groupByTrace<T extends { traceId: string }> (items: T[]): Map<string, T[]> {
  const traces = new Map<string, T[]>()
  for (const item of items) {
    const list = traces.get(item.traceId) ?? []
    list.push(item)
    traces.set(item.traceId, list)
  }
  return traces
}
