import type { Tracer, TracerProvider } from '@opentelemetry/api'
import type { PipelineStats } from '../sdk/export/batch-processor.js'
import type { ResolvedConfig } from './options.js'
import type { RequestTelemetry } from './request-telemetry.js'
import type { SdkOwner } from '../sdk/assembly/sdk.js'

/** `app.otel`. */
export interface AppTelemetry {
  /** The plugin's tracer (instrumentation scope `fastify-otel-kit`). */
  readonly tracer: Tracer
  readonly provider: TracerProvider
  /** Every resolved setting with its source: `env`, `options` or `default`. */
  readonly config: ResolvedConfig
  /** Who assembled the SDK in use: `plugin`, `application` or `disabled`. */
  readonly owner: SdkOwner
  /** Exports everything queued now. */
  forceFlush(): Promise<void>
  /**
   * Flushes and shuts the pipeline down (also done on close), bounded by shutdownTimeoutMillis.
   * Resolves false if the bound was hit.
   */
  shutdown(): Promise<boolean>
  /** Queue and export counters; all zero when the plugin does not own the SDK. */
  stats(): PipelineStats
}

declare module 'fastify' {
  interface FastifyInstance {
    otel: AppTelemetry
  }
  interface FastifyRequest {
    otel: RequestTelemetry
  }
  interface FastifyContextConfig {
    /** `false` turns tracing off for this route. */
    otel?: boolean
  }
}
