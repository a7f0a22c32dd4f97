import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import type { CollectionResult } from '@opentelemetry/sdk-metrics'

/** MetricReader.collect's options (the SDK does not export their type). */
type CollectionOptions = Parameters<PrometheusExporter['collect']>[0]

/**
 * Upstream's Prometheus endpoint, answering a scrape only once the resource's detectors have
 * settled, as the SDK's periodic reader waits before an export. Without it, a scrape in the first
 * milliseconds of the process (a readiness probe, a test) serialises the resource while its host
 * detection is still pending, and the SDK warns about it on every such start.
 */
export class SettledPrometheusExporter extends PrometheusExporter {
  override async collect (options?: CollectionOptions): Promise<CollectionResult> {
    const result = await super.collect(options)
    const resource = result.resourceMetrics.resource
    if (resource.asyncAttributesPending === true) await resource.waitForAsyncAttributes?.()
    return result
  }
}
