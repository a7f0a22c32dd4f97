/**
 * fastify-otel-kit: the Fastify plugin. `import otelPlugin from 'fastify-otel-kit'` or
 * `const { otelPlugin } = require('fastify-otel-kit')`.
 *
 * Everything exported here is listed in docs/reference/entry-points.md, and a test keeps the two
 * in step: an export is public API.
 */
export { otelPlugin, otelPlugin as default } from './plugin.js'
export { withSpan, type WithSpanOptions } from '../context/with-span.js'
export { withProducerSpan } from '../context/producer-span.js'
export { withConsumerSpan } from '../context/consumer-span.js'
export type { ConsumerOptions, MessageCarrier, MessagingTarget, ProducerOptions } from '../context/messaging.js'
export { formatRouteSummary } from '../sdk/traces/route-summary-format.js'
export type { RouteSummary, RouteSummaryEntry, StepKind, StepSummary } from '../sdk/traces/route-summary.js'
export type { LifecycleSpans, OtelRouteOptions } from './lifecycle-options.js'
export { OtelKitConfigError, OtelKitFlushError, type ErrorCode } from '../sdk/errors.js'
export type { RequestTelemetry } from './request-telemetry.js'
export type { AppTelemetry } from './fastify-types.js'
export type { ExportStats } from '../sdk/export/queue-contracts.js'
export type { OutboundRequest } from './outbound.js'
export type { PipelineStats, SdkOwner } from '../sdk/assembly/sdk.js'
export type {
  BatchPreset,
  BatchSettings,
  ConfigSource,
  ExporterKind,
  LogBatchSettings,
  LogsOptions,
  MetricExporterName,
  MetricsOptions,
  OtlpExporterOptions,
  OtlpProtocol,
  OtlpSignalOptions,
  PrometheusOptions,
  PropagatorName,
  ResolvedBatchConfig,
  ResolvedExporterConfig,
  ResolvedLogBatchConfig,
  ResolvedLogsConfig,
  ResolvedMetricsConfig,
  ResolvedSdkConfig,
  RetryOptions,
  SamplerName,
  SdkOptions,
  Setting,
  TemporalityPreference
} from '../sdk/config/options.js'
export type { HeaderCapture, OtelPluginOptions, ResolvedConfig, SignalHandling } from './options.js'
