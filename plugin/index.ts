/**
 * fastify-otel-kit: the Fastify plugin. `import otelPlugin from 'fastify-otel-kit'` or
 * `const { otelPlugin } = require('fastify-otel-kit')`.
 */
export { otelPlugin, otelPlugin as default } from './plugin.js'
export { withSpan, type WithSpanOptions } from '../context/with-span.js'
export { OtelKitConfigError, type ErrorCode } from './errors.js'
export { BATCH_PRESETS } from './defaults.js'
export type { RequestTelemetry } from './request-telemetry.js'
export type { AppTelemetry } from './fastify-types.js'
export type { PipelineStats } from './batch-processor.js'
export type { OutboundRequest } from './outbound.js'
export type { SdkOwner } from './sdk.js'
export type {
  BatchPreset, BatchSettings, ConfigSource, ExporterKind, HeaderCapture, OtelPluginOptions, OtlpExporterOptions,
  PropagatorName, ResolvedBatchConfig, ResolvedConfig, ResolvedExporterConfig, SamplerName, Setting, SignalHandling
} from './options.js'
