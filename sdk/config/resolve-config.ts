import type { TextMapPropagator } from '@opentelemetry/api'
import type { LogRecordExporter } from '@opentelemetry/sdk-logs'
import type { IMetricReader, PushMetricExporter, ViewOptions } from '@opentelemetry/sdk-metrics'
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace'
import { invalidOption } from '../errors.js'
import type { ConfigWarning } from './config-warning.js'
import { clampSetting, optionalDuration } from './durations.js'
import { validateSpanProcessors } from './validate-processors.js'
import { loadConfigFile } from './config-file.js'
import { type IgnoredVariable, ignoredVariables } from './env-inventory.js'
import { applyFileProvenance } from './file-provenance.js'
import { resolveDetectors } from './resolve-detectors.js'
import { DEFAULT_SHUTDOWN_TIMEOUT_MILLIS } from './defaults.js'
import { parseBoolean } from './env-values.js'
import type { ResolvedSdkConfig, SdkOptions } from './options.js'
import { resolveBatch } from './resolve-batch.js'
import { resolveAttributeValueLengthLimit, resolveSpanCountLimits } from './resolve-limits.js'
import { resolveExporter } from './resolve-exporter.js'
import { resolveLogs } from './resolve-logs.js'
import { resolveMetrics } from './resolve-metrics.js'
import { resolvePropagators } from './resolve-propagators.js'
import { resolveResource } from './resolve-resource.js'
import { resolveSampling, unusedSamplerArgument } from './resolve-sampling.js'
import { fromOption, Resolver } from './resolver.js'
import { warnOfSharedHeaders } from './shared-headers.js'
import { isPlainObject, optionalBoolean, rejectUnknownKeys } from './validate.js'

/** What SDK assembly needs: the public config plus the pieces that must not be shown. */
export interface ConfigResolution<C extends ResolvedSdkConfig = ResolvedSdkConfig> {
  config: C
  /** Exporter headers with their real values (the config shows them redacted). */
  exporterHeaders: Record<string, string>
  exporterInstance: SpanExporter | undefined
  samplerInstance: Sampler | undefined
  propagatorInstance: TextMapPropagator | undefined
  /** The application's own span processors, in order. */
  spanProcessors: SpanProcessor[]
  /** The log exporter's headers with their real values, and the option's exporter instance. */
  logExporterHeaders: Record<string, string>
  logExporterInstance: LogRecordExporter | undefined
  /** The metrics exporter's headers with their real values, and the options' instances. */
  metricExporterHeaders: Record<string, string>
  metricExporterInstance: PushMetricExporter | undefined
  metricReaders: IMetricReader[]
  metricViews: ViewOptions[]
  /** Override and fallback notices, to be logged once each (`FOK_WARN_CONFIG`). */
  warnings: string[]
  /** The `OTEL_*` variables set that nothing acts on (names and reasons, never values). */
  ignoredEnv: IgnoredVariable[]
  /** Notices with a code of their own (export turned off, a clamped duration...), once each. */
  codedWarnings: ConfigWarning[]
}

/**
 * The options that build the SDK's pipeline: the resource, the sampler, the exporter and the batch
 * processor. An SDK the application registered leaves them without effect.
 */
export const PIPELINE_OPTION_KEYS = Object.freeze([
  'serviceName',
  'serviceVersion',
  'deploymentEnvironment',
  'resourceAttributes',
  'sampler',
  'samplingRatio',
  'exporter',
  'batch'
] as const)

/** The options the core reads. */
export const SDK_OPTION_KEYS: readonly string[] = Object.freeze([
  ...PIPELINE_OPTION_KEYS,
  'propagators',
  'propagator',
  'extractOnly',
  'shutdownTimeoutMillis',
  'spanProcessors',
  'attributeValueLengthLimit',
  'logs',
  'metrics'
])

/**
 * Resolves every SDK setting with the precedence environment > options > defaults.
 * Invalid options throw (coded); invalid environment values are warned about and ignored, as if
 * unset, so the next source applies. Environment defaults are read here, never at import time.
 *
 * `knownKeys` are the option names the caller accepts (the plugin adds its own to the core's);
 * any other key is rejected with the closest known name as a hint.
 */
export function resolveSdkConfig (
  rawOptions: unknown,
  env: NodeJS.ProcessEnv = process.env,
  knownKeys: readonly string[] = SDK_OPTION_KEYS
): ConfigResolution {
  if (rawOptions !== undefined && !isPlainObject(rawOptions)) throw invalidOption('options', 'an object', rawOptions)
  const options = (rawOptions ?? {}) as SdkOptions & Record<string, unknown>
  rejectUnknownKeys('', options, knownKeys)
  // A configuration file replaces the SDK variables: its settings are read as the variables they
  // stand for, through the same resolution (config-file-model.ts).
  const file = loadConfigFile(env)
  const r = new Resolver(file?.env ?? env, file)

  const disabled = r.setting('(OTEL_SDK_DISABLED)', undefined, ['OTEL_SDK_DISABLED'], parseBoolean, false, String)
  const resource = resolveResource(r, options)
  const sampling = resolveSampling(r, options)
  const exporter = resolveExporter(r, options)
  const batch = resolveBatch(r, options.batch)
  const propagation = resolvePropagators(r, options)
  const logs = resolveLogs(r, options)
  const metrics = resolveMetrics(r, options)
  warnOfSharedHeaders(r, [
    { name: 'traces', headersVariable: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', exporter: exporter.config },
    ...(logs.config.enabled.value
      ? [{ name: 'logs', headersVariable: 'OTEL_EXPORTER_OTLP_LOGS_HEADERS', exporter: logs.config.exporter }]
      : []),
    ...(metrics.config.enabled.value
      ? [{ name: 'metrics', headersVariable: 'OTEL_EXPORTER_OTLP_METRICS_HEADERS', exporter: metrics.config.exporter }]
      : [])
  ])

  const config: ResolvedSdkConfig = {
    disabled,
    configFile:
      file === undefined
        ? { value: undefined, source: 'default' }
        : { value: file.file, source: 'env', env: file.variable },
    logLevel: r.setting<string | undefined>('logLevel', undefined, ['OTEL_LOG_LEVEL'], asIs, undefined),
    ...resource,
    resourceDetectors: resolveDetectors(r),
    sampler: sampling.sampler,
    samplingRatio: sampling.samplingRatio,
    exporter: exporter.config,
    batch,
    propagators: propagation.propagators,
    extractOnly: fromOption(optionalBoolean('extractOnly', options.extractOnly), false),
    shutdownTimeoutMillis: clampSetting(
      r,
      'shutdownTimeoutMillis',
      fromOption(
        optionalDuration('shutdownTimeoutMillis', options.shutdownTimeoutMillis),
        DEFAULT_SHUTDOWN_TIMEOUT_MILLIS
      )
    ),
    attributeValueLengthLimit: resolveAttributeValueLengthLimit(r, options),
    spanLimits: resolveSpanCountLimits(r),
    dbStatementSanitizer: r.setting(
      '(OTEL_INSTRUMENTATION_COMMON_DB_STATEMENT_SANITIZER_ENABLED)',
      undefined,
      ['OTEL_INSTRUMENTATION_COMMON_DB_STATEMENT_SANITIZER_ENABLED'],
      parseBoolean,
      true,
      String
    ),
    logs: logs.config,
    metrics: metrics.config
  }
  if (file !== undefined) applyFileProvenance(config, r, file)
  return {
    config,
    exporterHeaders: exporter.headers,
    exporterInstance: exporter.instance,
    samplerInstance: sampling.instance,
    propagatorInstance: propagation.instance,
    spanProcessors: validateSpanProcessors(options.spanProcessors),
    logExporterHeaders: logs.headers,
    logExporterInstance: logs.instance,
    metricExporterHeaders: metrics.headers,
    metricExporterInstance: metrics.exporterInstance,
    metricReaders: metrics.readers,
    metricViews: metrics.views,
    warnings: r.warnings,
    codedWarnings: r.codedWarnings,
    ignoredEnv: [
      ...ignoredVariables(env, { configFile: file, referenced: file?.referenced }),
      // With a configuration file the variable is among the SDK variables the file replaces.
      ...(file === undefined ? [unusedSamplerArgument(env, sampling.sampler)].filter((v) => v !== undefined) : [])
    ]
  }
}

/** A variable's text as the value (OTEL_LOG_LEVEL: the diag logger reads the level itself). */
function asIs (raw: string): { ok: true; value: string } {
  return { ok: true, value: raw }
}

/** Freezes a resolved config all the way down: `app.otel.config` is read-only. */
export function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}
