import {
  createOtlpNetworkExportDelegate,
  type IExporterTransport,
  OTLPExporterBase
} from '@opentelemetry/otlp-exporter-base'
import type { ISerializer } from '@opentelemetry/otlp-transformer'
import type { ResolvedExporterConfig } from '../config/options.js'
import { DEFAULT_RETRY_POLICY } from '../config/retry-policy.js'
import type { ItemExporter } from './queue-contracts.js'
import { RetryingExporter } from './retrying-exporter.js'

/** Upstream's exporter metrics for one protocol (createOtlp{Http,Grpc}ExporterMetrics). */
type ExporterMetrics<T> = Parameters<typeof createOtlpNetworkExportDelegate<T[], unknown>>[2]

/**
 * What every OTLP protocol's exporter is made of, over its own transport: upstream's network
 * delegate and exporter base, shut down transport first, and the package's one retry loop around
 * them unless retries are off.
 */
export function otlpItemExporter<T> (
  exporter: ResolvedExporterConfig,
  exportTimeoutMillis: number,
  serializer: ISerializer<T[], unknown>,
  metrics: ExporterMetrics<T>,
  transport: IExporterTransport
): ItemExporter<T> {
  const bodies = handingBack(serializer)
  const delegate = createOtlpNetworkExportDelegate(
    // One export at a time is the batch processor's rule; the delegate's limit is a backstop.
    { timeoutMillis: exporter.timeoutMillis.value, concurrencyLimit: 2, compression: exporter.compression.value },
    bodies?.serializer ?? serializer,
    metrics,
    transport
  )
  const upstream = new OTLPExporterBase<T[]>(delegate)
  const otlp: ItemExporter<T> = {
    export: bodies === undefined ? (items, done) => upstream.export(items, done) : bodies.exportWith(upstream),
    forceFlush: () => upstream.forceFlush(),
    // Upstream's delegate waits for the sends under way before it shuts its transport down: with a
    // collector that never answers, that is the rest of the export timeout, and the open call keeps
    // the process alive. Shut first, they fail at once; the queue has given up on them.
    shutdown: async () => {
      transport.shutdown()
      await upstream.shutdown()
    }
  }
  const retry = exporter.retry.value
  if (retry === false) return otlp
  return new RetryingExporter<T>(
    otlp,
    { ...DEFAULT_RETRY_POLICY, ...retry },
    { exportTimeoutMillis, attemptTimeoutMillis: exporter.timeoutMillis.value }
  )
}

/**
 * A serializer whose request bodies are handed back once their send is over, to be written over by
 * a later request (the package's protobuf encoder, protobuf/otlp-request.ts).
 */
export interface ReusingSerializer<T, Response> extends ISerializer<T[], Response> {
  release: (body: Uint8Array) => void
}

/** The serializer upstream's delegate calls, and the export around the delegate that hands bodies back. */
interface HandingBack<T> {
  serializer: ISerializer<T[], unknown>
  exportWith: (upstream: OTLPExporterBase<T[]>) => ItemExporter<T>['export']
}

/**
 * For a serializer whose bodies can be reused (the package's protobuf encoder, otlp-request.ts):
 * the serializer as upstream's delegate calls it, noting the body it wrote, and the export that
 * hands that body back when its send has settled. Upstream's delegate serializes synchronously
 * inside `export` and calls back once the transport's send is over (answered, failed, timed out
 * or cancelled), so the body noted during the call is the one its callback is about.
 */
function handingBack<T> (serializer: ISerializer<T[], unknown>): HandingBack<T> | undefined {
  const release = (serializer as Partial<ReusingSerializer<T, unknown>>).release
  if (typeof release !== 'function') return undefined
  let written: Uint8Array | undefined
  return {
    serializer: {
      serializeRequest: (items) => (written = serializer.serializeRequest(items)),
      deserializeResponse: (data) => serializer.deserializeResponse(data)
    },
    exportWith: (upstream) => (items, done) => {
      written = undefined
      let body: Uint8Array | undefined
      let over = false
      upstream.export(items, (result) => {
        over = true
        if (body !== undefined) release(body)
        done(result)
      })
      // A callback made before `export` returned (nothing was sent) finds no body to hand back.
      if (written !== undefined) {
        if (over) release(written)
        else body = written
      }
      written = undefined
    }
  }
}
