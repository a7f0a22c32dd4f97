import type { TextMapPropagator, TracerProvider } from '@opentelemetry/api'
import { ensureContextManager } from '../../context/context-manager.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import { logs, metrics, propagation, trace } from '../../context/otel-api.js'
import { applicationMetrics } from './application-metrics.js'
import type { KitLogger } from '../diagnostics/kit-logger.js'
import type { ResolvedSdkConfig } from '../config/options.js'
import { type ConfigResolution, PIPELINE_OPTION_KEYS } from '../config/resolve-config.js'
import { setInOptions } from './shared-sdk-options.js'
import { buildPropagator } from './propagators.js'
import { emptyStats, type Sdk } from './sdk.js'
import { currentSpanSink, workerSpanLosses } from '../traces/span-sink.js'
import { tracerSpanStarter } from '../traces/span-starter.js'
import { apiGlobals } from '../../context/api-globals.js'
import type { Warnings } from '../diagnostics/warnings.js'
import { globalLogger } from '../logs/global-logger-provider.js'

/**
 * An SDK the application registered before the plugin (NodeSDK, provider.register()): used as it
 * is, never replaced, never shut down. Only a missing propagator is filled in.
 */
export function adoptApplicationSdk<C extends ResolvedSdkConfig> (
  resolution: ConfigResolution<C>,
  log: KitLogger | undefined,
  warnings: Warnings
): Sdk<C> {
  // The registered proxy may come from the API's other build (ESM or CommonJS): its class is not
  // ours, so it is recognised by what it does, not by instanceof.
  const globalProvider = trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider }
  const provider = typeof globalProvider.getDelegate === 'function' ? globalProvider.getDelegate() : globalProvider
  // Without a context manager nothing is ever "active": the hooks need one.
  ensureContextManager()
  const ownPropagator =
    apiGlobals().propagation === undefined
      ? buildPropagator(
        resolution.config.propagators.value,
        resolution.propagatorInstance,
        resolution.config.extractOnly.value
      )
      : undefined
  if (ownPropagator !== undefined) propagation.setGlobalPropagator(ownPropagator)
  log?.info(
    'fastify-otel-kit: an OpenTelemetry SDK is already registered by the application; using it. ' +
      "The plugin's resource, sampler, exporter and batch options are not applied."
  )
  const unapplied = optionsNotApplied(resolution.config, ownPropagator === undefined)
  if (unapplied.length > 0) {
    // Said as a warning, not only the info line above: a service run at level warn otherwise
    // believes its sampler or exporter options are in force (app.otel.config shows them resolved).
    warnings.warn(
      'FOK_WARN_CONFIG',
      `option${unapplied.length === 1 ? '' : 's'} ${unapplied.join(', ')} ${unapplied.length === 1 ? 'is' : 'are'} ` +
        'not applied: the application registered its own OpenTelemetry SDK before the plugin, and the plugin ' +
        'uses that SDK as it is. Set them on that SDK, or remove them from the plugin options.'
    )
  }
  if (resolution.spanProcessors.length > 0) {
    warnings.warn(
      'FOK_WARN_CONFIG',
      'option spanProcessors is not applied: the application registered its own OpenTelemetry SDK ' +
        'before the plugin. Add the processors to that SDK.'
    )
  }
  const logsOn = resolution.config.logs.enabled.value
  if (logsOn) {
    // Said as it is now: a LoggerProvider registered later still receives the lines from then on.
    const where =
      apiGlobals().logs === undefined
        ? 'no LoggerProvider is registered with the Logs API yet: they are dropped until the application registers one'
        : 'they go to the LoggerProvider the application registered with the Logs API'
    log?.info(
      `fastify-otel-kit: log records from the Fastify logger: ${where}; the plugin's logs settings are not applied.`
    )
  }
  const flushable = provider as TracerProvider & { forceFlush?: () => Promise<void> }
  const tracer = trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION)
  return {
    owner: 'application',
    tracer,
    provider,
    propagator: ownPropagator ?? globalPropagator(),
    config: resolution.config,
    spans: tracerSpanStarter(tracer),
    // The application's pipeline, through the API: whatever it registered receives the lines.
    logs: logsOn ? { logger: globalLogger(), sink: undefined } : undefined,
    metrics:
      resolution.config.metrics.enabled.value && apiGlobals().metrics !== undefined
        ? applicationMetrics(metrics.getMeterProvider())
        : undefined,
    // Only the worker losses are known here: the application's processors keep their own counts.
    stats: () => {
      const sink = currentSpanSink()
      return { ...emptyStats(), lostInWorkers: sink === undefined ? 0 : workerSpanLosses(sink.processor).total }
    },
    // Every signal the application registered: a signal's flush (SIGTERM, app.otel.forceFlush())
    // that reached only the TracerProvider left its log records and metrics unsent at exit.
    forceFlush: async () => {
      await Promise.all([
        flushable.forceFlush?.(),
        flushRegistered(logs.getLoggerProvider()),
        flushRegistered(metrics.getMeterProvider())
      ])
    }
  }
}

/**
 * Flushes a provider the application registered with an API, when it can be flushed: an SDK's
 * provider has forceFlush; the Logs API may hand back a proxy whose delegate is the provider; the
 * API's no-op providers have neither.
 */
async function flushRegistered (provider: unknown): Promise<void> {
  const target = provider as { forceFlush?: () => Promise<unknown>; getDelegate?: () => unknown }
  if (typeof target.forceFlush === 'function') {
    await target.forceFlush()
    return
  }
  const delegate = (typeof target.getDelegate === 'function' ? target.getDelegate() : undefined) as
    | { forceFlush?: () => Promise<unknown> }
    | undefined
  if (typeof delegate?.forceFlush === 'function') await delegate.forceFlush()
}

/**
 * The options set in the plugin's options (not the environment, which the application's SDK reads
 * too) that its own SDK does not apply; the propagators too when it registered its own propagator,
 * and the metrics settings.
 */
function optionsNotApplied (config: ResolvedSdkConfig, appPropagator: boolean): string[] {
  const keys: string[] = [...PIPELINE_OPTION_KEYS]
  if (appPropagator) keys.push('propagators')
  const named = keys.filter((key) => setInOptions(config[key as keyof ResolvedSdkConfig]))
  for (const part of ['exporter', 'batch'] as const) {
    if (config.logs.enabled.value && setInOptions(config.logs[part])) named.push(`logs.${part}`)
  }
  // The HTTP metrics go to the application's MeterProvider (its readers, views and temporality):
  // of the metrics options only `false` (no metrics) acts.
  for (const [key, value] of Object.entries(config.metrics)) {
    if (key !== 'enabled' && config.metrics.enabled.value && setInOptions(value)) named.push(`metrics.${key}`)
  }
  // A signal's exporter settings that came from the shared `exporter` option are that option's.
  return named.includes('exporter') ? named.filter((key) => !/^(logs|metrics)\.exporter$/.test(key)) : named
}

/** OTEL_SDK_DISABLED=true: the API's no-op tracer and whatever propagator is registered. */
export function disabledSdk<C extends ResolvedSdkConfig> (config: C): Sdk<C> {
  const tracer = trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION)
  return {
    owner: 'disabled',
    tracer,
    provider: trace.getTracerProvider(),
    propagator: globalPropagator(),
    config,
    spans: tracerSpanStarter(tracer),
    logs: undefined,
    metrics: undefined,
    stats: emptyStats,
    forceFlush: async () => {}
  }
}

/** The global propagator as an object, for code that takes a TextMapPropagator. */
function globalPropagator (): TextMapPropagator {
  return {
    inject: (ctx, carrier, setter) => propagation.inject(ctx, carrier, setter),
    extract: (ctx, carrier, getter) => propagation.extract(ctx, carrier, getter),
    fields: () => propagation.fields()
  }
}
