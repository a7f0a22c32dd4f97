import type { TextMapPropagator, Tracer, TracerProvider } from '@opentelemetry/api'
import type { ResolvedSdkConfig } from '../config/options.js'
import type { PipelineStats } from '../export/batch-processor.js'
import type { SpanFactory } from '../spans/span-factory.js'

/**
 * `plugin`: this package assembled and registered the SDK. `application`: the application had
 * registered its own before the plugin loaded; it is used and never replaced. `disabled`:
 * OTEL_SDK_DISABLED=true.
 */
export type SdkOwner = 'plugin' | 'application' | 'disabled'

/** The process's SDK as the plugin and the workers see it, whoever assembled it. */
export interface Sdk<C extends ResolvedSdkConfig = ResolvedSdkConfig> {
  readonly owner: SdkOwner
  readonly tracer: Tracer
  readonly provider: TracerProvider
  /** The propagator the request hooks use (the global one unless the application owns that). */
  readonly propagator: TextMapPropagator
  /** The configuration in effect: the one of the instance that assembled the SDK. */
  readonly config: C
  /** Builds the request span without the Tracer, when the plugin owns the pipeline. */
  readonly spanFactory: SpanFactory | undefined
  stats(): PipelineStats
  forceFlush(): Promise<void>
}

export function emptyStats (): PipelineStats {
  return { created: 0, queued: 0, exported: 0, dropped: 0, failed: 0, retries: 0, lostInWorkers: 0 }
}
