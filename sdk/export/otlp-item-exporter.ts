import {
  createOtlpNetworkExportDelegate,
  type IExporterTransport,
  OTLPExporterBase
} from '@opentelemetry/otlp-exporter-base'
import type { ISerializer } from '@opentelemetry/otlp-transformer'
import type { ResolvedExporterConfig } from '../config/options.js'
import { DEFAULT_RETRY_POLICY } from '../config/retry-policy.js'
import type { ItemExporter } from './batch-queue.js'
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
  const delegate = createOtlpNetworkExportDelegate(
    // One export at a time is the batch processor's rule; the delegate's limit is a backstop.
    { timeoutMillis: exporter.timeoutMillis.value, concurrencyLimit: 2, compression: exporter.compression.value },
    serializer,
    metrics,
    transport
  )
  const upstream = new OTLPExporterBase<T[]>(delegate)
  const otlp: ItemExporter<T> = {
    export: (items, done) => upstream.export(items, done),
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
