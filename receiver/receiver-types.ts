import type { ReceivedLogRecord } from './decode-logs.js'
import type { ReceivedMetric } from './decode-metrics.js'
import type { ReceivedSpan } from './decode-traces.js'

/**
 * What the receiver is told (options, faults) and what it tells back (export records), shared by
 * its two listeners: OTLP/gRPC and OTLP/HTTP.
 */

export interface ReceiverTls {
  cert: Buffer
  key: Buffer
  /** Mutual TLS: a client must present a certificate signed by this CA, or the handshake fails. */
  clientCa?: Buffer
}

export interface ReceiverOptions {
  host?: string
  /** The gRPC port; 0 (the default) picks a free port. */
  port?: number
  /** The OTLP/HTTP port; 0 (the default) picks a free port. */
  httpPort?: number
  /** Both listeners speak TLS with it (gRPC over TLS, and https). */
  tls?: ReceiverTls
  /**
   * Headers every export must carry (say, `authorization`, lower-case names); other exports are
   * refused: UNAUTHENTICATED over gRPC, 401 over HTTP.
   */
  requiredHeaders?: Record<string, string>
  /**
   * Count items without decoding or keeping them (benchmarks): `spans`, `logs`, `metrics` and
   * `exports` stay empty, and every decodable export is accepted (no credentials, no faults).
   */
  countOnly?: boolean
  /**
   * The largest request accepted (gRPC's own default: 4 MiB): larger ones get RESOURCE_EXHAUSTED
   * over gRPC, 413 over HTTP (where the limit holds for the body before and after gunzip).
   */
  maxReceiveMessageBytes?: number
  /**
   * The HTTP/2 flow-control window the gRPC side grants each connection and stream, in bytes
   * (default: HTTP/2's 65,535, which grpc-js servers keep). The OpenTelemetry Collector's gRPC
   * server (grpc-go) grows its window from the measured bandwidth-delay product, so a batch of
   * spans goes in one round trip; at 64 KiB a 230 KB batch takes four, and the benchmarks would
   * measure this receiver rather than the exporter. The benchmarks' receiver sets 4 MiB.
   */
  grpcFlowControlWindowBytes?: number
  /**
   * A path before OTLP/HTTP's own, as a gateway has (`/otlp`: exports are POSTed to
   * `/otlp/v1/traces`); `httpEndpoint` includes it.
   */
  httpPathPrefix?: string
  /**
   * Called with what each accepted export held, as it arrives (the `receive` command prints from
   * it). With `retain: false` nothing is kept in `spans`, `logs`, `metrics` or `exports`: a
   * receiver that runs for hours holds no more than its listener does.
   */
  onReceive?: (items: DecodedItems, from: ExportSource) => void
  retain?: boolean
}

export type Signal = 'traces' | 'logs' | 'metrics'
export type Transport = 'grpc' | 'http'
export type BodyFormat = 'protobuf' | 'json'

interface FaultCommon {
  /** Only for exports of this signal; without it, the next export of any signal. */
  signal?: Signal
  message?: string
}

/** Fails the next gRPC export with this status code. */
export interface GrpcFault extends FaultCommon {
  code: number
  /** Adds a google.rpc.RetryInfo with this delay to the status details. */
  retryDelayMillis?: number
}

/** Fails the next OTLP/HTTP export with this HTTP status (429, 502, 503, 504 are retryable; 400 is not). */
export interface HttpFault extends FaultCommon {
  httpStatus: number
  /** Sent as `Retry-After: <seconds>`. */
  retryAfterSeconds?: number
}

/**
 * One injected failure. `{ code }` targets the next gRPC export, `{ httpStatus }` the next HTTP
 * export; a fault with both targets whichever export comes first, each answered in its own terms.
 */
export type Fault = GrpcFault | HttpFault

export interface ExportRecord {
  signal: Signal
  spanCount: number
  logCount: number
  /** Metrics (not data points) in the request. */
  metricCount: number
  transport: Transport
  /** `application/grpc`, or the HTTP request's media type (`application/x-protobuf`, `application/json`). */
  contentType: string
  /**
   * HTTP exports: `gzip` or `identity`, how the body travelled. Undefined for gRPC: grpc-js
   * decompresses messages before the receiver sees them and keeps `grpc-encoding` to itself.
   */
  contentEncoding?: string
  /** Size of the request message (after any decompression). */
  bytes: number
  /** The request's metadata or headers, lower-cased keys, as the receiver saw them. */
  headers: Record<string, string>
  /** The gRPC status code answered (0 = OK); for HTTP exports the code that means the same as `httpStatus`. */
  code: number
  /** The HTTP status answered (HTTP exports only). */
  httpStatus?: number
}

/** One export request as a listener hands it to the receiver (the body already gunzipped). */
export interface IncomingExport {
  signal: Signal
  transport: Transport
  format: BodyFormat
  contentType: string
  contentEncoding?: string
  body: Buffer
  headers: Record<string, string>
}

/** How an accepted export came: its transport, media type and headers (lower-cased names). */
export interface ExportSource {
  transport: Transport
  contentType: string
  headers: Record<string, string>
}

export type DecodedItems =
  | { signal: 'traces'; items: ReceivedSpan[] }
  | { signal: 'logs'; items: ReceivedLogRecord[] }
  | { signal: 'metrics'; items: ReceivedMetric[] }

/** What the receiver decided; each listener answers it in its own protocol's terms. */
export type ExportOutcome =
  | { kind: 'accepted'; partial?: { rejected: number; errorMessage: string } }
  | { kind: 'undecodable'; message: string }
  | { kind: 'unauthenticated' }
  | { kind: 'fault'; fault: Fault }

/** How the receiver hands its decision-making to a listener. */
export type ExportHandler = (request: IncomingExport) => ExportOutcome

export interface ListenOptions {
  host: string
  port: number
  tls?: ReceiverTls
  maxReceiveMessageBytes?: number
  grpcFlowControlWindowBytes?: number
  httpPathPrefix?: string
}

/** A listening transport. */
export interface Listener {
  readonly port: number
  /** Stops at once: in-flight requests are cancelled and connections dropped, like a collector that died. */
  close: () => Promise<void>
}
