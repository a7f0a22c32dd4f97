import { apiGlobals } from '../../context/api-globals.js'
import { ensureContextManager } from '../../context/context-manager.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import { context, diag, propagation, trace } from '../../context/otel-api.js'
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import type { ResolvedSdkConfig } from '../config/options.js'
import type { ConfigResolution } from '../config/resolve-config.js'
import { installDiagLogger, type KitLogger } from '../diag-logger.js'
import { BatchExportProcessor, type RetryCounter } from '../export/batch-processor.js'
import { buildExporter } from '../export/exporter.js'
import { setSpanSink } from '../spans/span-sink.js'
import { spanFactoryFor } from '../spans/span-factory.js'
import { withTimeout } from '../with-timeout.js'
import { adoptApplicationSdk, disabledSdk } from './foreign-sdk.js'
import { pipelineWarnings } from './pipeline-warnings.js'
import { buildPropagator } from './propagators.js'
import { buildResource } from './resource.js'
import { buildSampler } from './sampler.js'
import { emptyStats, type Sdk } from './sdk.js'

interface Registration {
  sdk: Sdk
  users: number
  /** The globals this package set, so that release undoes exactly those. */
  registered: { trace: boolean, propagation: boolean, context: boolean, diag: boolean }
  provider: NodeTracerProvider | undefined
  beforeExit: (() => void) | undefined
  released: Promise<boolean> | undefined
}

/** One SDK per process, shared by every Fastify instance (and by both the CJS and ESM entry points). */
const REGISTRATION = Symbol.for('fastify-otel-kit.sdk-registration')

function currentRegistration (): Registration | undefined {
  return (globalThis as Record<symbol, Registration | undefined>)[REGISTRATION]
}

function setRegistration (registration: Registration | undefined): void {
  (globalThis as Record<symbol, Registration | undefined>)[REGISTRATION] = registration
}

export type Acquisition = 'assembled' | 'shared' | 'application' | 'disabled'

/**
 * Gives the caller the process's SDK, assembling and registering it on first use in the seed's
 * order: resource, sampler, exporter, batch processor, provider, then global registration.
 */
export function acquireSdk<C extends ResolvedSdkConfig> (resolution: ConfigResolution<C>, log: KitLogger): { sdk: Sdk<C>, how: Acquisition } {
  const { config } = resolution
  if (config.disabled.value) return { sdk: disabledSdk(config), how: 'disabled' }

  const existing = currentRegistration()
  if (existing !== undefined && existing.released === undefined) {
    existing.users++
    return { sdk: existing.sdk as Sdk<C>, how: 'shared' }
  }

  const globals = apiGlobals()
  if (globals.trace !== undefined) return { sdk: adoptApplicationSdk(resolution, log), how: 'application' }

  const diagInstalled = globals.diag === undefined && installDiagLogger(log, process.env.OTEL_LOG_LEVEL)
  const resource = buildResource(config)
  const sampler = buildSampler(config.sampler.value, config.samplingRatio.value, resolution.samplerInstance)
  const exporter = buildExporter(resolution, (message) => log.warn(message))
  const processor = exporter === undefined
    ? undefined
    : new BatchExportProcessor(exporter, {
      maxQueueSize: config.batch.maxQueueSize.value,
      scheduledDelayMillis: config.batch.scheduledDelayMillis.value,
      maxExportBatchSize: config.batch.maxExportBatchSize.value,
      exportTimeoutMillis: config.batch.exportTimeoutMillis.value
    }, pipelineWarnings(log, config))
  const provider = new NodeTracerProvider({ resource, sampler, spanProcessors: processor === undefined ? [] : [processor] })
  const propagator = buildPropagator(config.propagators.value, resolution.propagatorInstance, config.extractOnly.value)

  const registered = { trace: false, propagation: false, context: false, diag: diagInstalled }
  registered.context = ensureContextManager()
  if (globals.propagation === undefined) {
    registered.propagation = propagation.setGlobalPropagator(propagator)
  } else {
    log.info('fastify-otel-kit: the application registered its own propagator; requests use the plugin\'s, other code keeps the application\'s.')
  }
  registered.trace = trace.setGlobalTracerProvider(provider)

  const retries = exporter as Partial<RetryCounter> | undefined
  const tracer = provider.getTracer(PACKAGE_NAME, PACKAGE_VERSION)
  const sdk: Sdk<C> = {
    owner: 'plugin',
    tracer,
    spanFactory: spanFactoryFor(tracer, sampler, processor ?? new NoopSpanProcessor(), resource, { name: PACKAGE_NAME, version: PACKAGE_VERSION }),
    provider,
    propagator,
    config,
    stats: () => processor?.stats(typeof retries?.retryCount === 'number' ? retries as RetryCounter : undefined) ?? emptyStats(),
    forceFlush: () => provider.forceFlush()
  }
  const registration: Registration = { sdk, users: 1, registered, provider, beforeExit: undefined, released: undefined }
  if (processor !== undefined) {
    // A script that simply runs out of work exits without close or signals: flush what is queued.
    registration.beforeExit = () => {
      if (processor.pending > 0) void processor.forceFlush()
    }
    process.on('beforeExit', registration.beforeExit)
  }
  setRegistration(registration)
  // Spans relayed home from worker threads join this pipeline, with this resource.
  if (processor !== undefined) setSpanSink({ processor, resource, ...(sdk.spanFactory === undefined ? {} : { spanFactory: sdk.spanFactory }) })
  return { sdk, how: 'assembled' }
}

/**
 * Drops one user of the SDK. The last user of an SDK this package assembled flushes it, shuts it
 * down and unregisters the globals, all within `timeoutMillis` so a dead collector cannot hang the
 * exit. Returns whether everything finished in time.
 */
export async function releaseSdk (sdk: Sdk, timeoutMillis: number): Promise<boolean> {
  if (sdk.owner === 'disabled') return true
  if (sdk.owner === 'application') return await withTimeout(sdk.forceFlush(), timeoutMillis)
  const registration = currentRegistration()
  if (registration === undefined || registration.sdk !== sdk) return true
  registration.users--
  if (registration.users > 0) return await withTimeout(sdk.forceFlush(), timeoutMillis)
  registration.released ??= (async () => {
    if (registration.beforeExit !== undefined) process.removeListener('beforeExit', registration.beforeExit)
    // The globals are released even when shutdown hits the bound, so a hung exporter never
    // leaves a dead SDK registered for the next instance to adopt.
    const inTime = await withTimeout(registration.provider?.shutdown() ?? Promise.resolve(), timeoutMillis)
    if (registration.registered.trace) trace.disable()
    if (registration.registered.propagation) propagation.disable()
    if (registration.registered.context) context.disable()
    if (registration.registered.diag) diag.disable()
    setSpanSink(undefined)
    setRegistration(undefined)
    return inTime
  })()
  return await registration.released
}
