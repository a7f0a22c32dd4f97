import type { MeterProvider, Tracer, TracerProvider } from '@opentelemetry/api'
import type { PipelineStats } from '../sdk/assembly/sdk.js'
import type { ResolvedConfig } from './options.js'
import type { RequestTelemetry } from './request-telemetry.js'
import type { SdkOwner } from '../sdk/assembly/sdk.js'
import type { RouteSummary } from '../sdk/traces/route-summary.js'
import type { OtelRouteOptions } from './lifecycle-options.js'

/** `app.otel`. */
export interface AppTelemetry {
  /** The plugin's tracer (instrumentation scope `fastify-otel-kit`). */
  readonly tracer: Tracer
  readonly provider: TracerProvider
  /**
   * The MeterProvider the HTTP metrics go to (the package's, registered globally, or the
   * application's); undefined when metrics are off.
   */
  readonly meterProvider: MeterProvider | undefined
  /** Every resolved setting with its source: `env`, `options` or `default`. */
  readonly config: ResolvedConfig
  /** Who assembled the SDK in use: `plugin`, `application` or `disabled`. */
  readonly owner: SdkOwner
  /** Exports everything queued now, spans and log records, and a collection of the metrics. */
  forceFlush(): Promise<void>
  /**
   * Flushes and shuts the pipeline down (also done on close), bounded by shutdownTimeoutMillis.
   * Resolves false if the bound was hit.
   */
  shutdown(): Promise<boolean>
  /**
   * Queue and export counters of the spans, of the log records under `logs` when log export is
   * on, and of the OTLP metric exporter under `metrics`; all zero when the plugin does not own the SDK.
   */
  stats(): PipelineStats
  /**
   * Per route (method and template), over the sampled requests since registration or the last
   * reset: requests, duration p50/p95, the median share of each request no child span covered,
   * and the slowest hooks, handler and phases (docs/guides/where-did-the-time-go.md). `reset`
   * starts the summary over after this one is taken.
   */
  routeSummary(options?: { reset?: boolean }): RouteSummary
}

/**
 * The route `config` this plugin reads. `object` is there for @fastify/otel (see below); this
 * plugin traces a route whose `otel` is anything but `false`.
 */
export interface OtelRouteConfig {
  /**
   * `false` turns tracing off for this route; `{ lifecycleSpans, slowThresholdMillis,
   * blockingThresholdMillis }` overrides the plugin's lifecycle timing for it. (`& object`: an
   * interface of optional keys alone would let a string such as `'off'` through.)
   */
  otel?: boolean | (OtelRouteOptions & object) | object
}

declare module 'fastify' {
  interface FastifyInstance {
    otel: AppTelemetry
  }
  interface FastifyRequest {
    otel: RequestTelemetry
  }
  // Through a base interface, not a property: @fastify/otel (which users migrate from, so both
  // may be installed) declares `otel` on this interface too, and two property declarations of
  // one merged interface must have identical types (TS2717), which its types have not kept from
  // release to release (`boolean`, then `boolean | FastifyOtelRouteConfig` with growing members).
  // An inherited property only requires theirs to be assignable to ours: with @fastify/otel its
  // declaration wins unchanged (its route objects keep their types), without it `otel` is ours
  // (`otel: false` compiles, `otel: 'off'` does not). The type tests check both setups.
  interface FastifyContextConfig extends OtelRouteConfig {}
}
