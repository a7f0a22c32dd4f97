import {
  context, diag, propagation, ProxyTracerProvider, type TextMapPropagator, trace, type Tracer, type TracerProvider
} from '@opentelemetry/api'
import { ensureContextManager } from '../context/context-manager.js'
import { setSpanSink } from '../workers/span-sink.js'
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { BatchExportProcessor, type PipelineStats, type RetryCounter } from './batch-processor.js'
import { installDiagLogger, type KitLogger } from './diag-logger.js'
import { buildExporter } from './exporter.js'
import type { ResolvedConfig } from './options.js'
import { buildPropagator } from './propagators.js'
import type { ConfigResolution } from './resolve-config.js'
import { type SpanFactory, spanFactoryFor } from './request-span-impl.js'
import { buildResource } from './resource.js'
import { buildSampler } from './sampler.js'
import { withTimeout } from './timeout.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js'

/**
 * `plugin`: this package assembled and registered the SDK. `application`: the application had
 * registered its own before the plugin loaded; it is used and never replaced. `disabled`:
 * OTEL_SDK_DISABLED=true.
 */
export type SdkOwner = 'plugin' | 'application' | 'disabled'

export interface Sdk {
  readonly owner: SdkOwner
  readonly tracer: Tracer
  readonly provider: TracerProvider
  /** The propagator the request hooks use (the global one unless the application owns that). */
  readonly propagator: TextMapPropagator
  /** The configuration in effect: the one of the instance that assembled the SDK. */
  readonly config: ResolvedConfig
  /** Builds the request span without the Tracer, when the plugin owns the pipeline. */
  readonly spanFactory: SpanFactory | undefined
  stats(): PipelineStats
  forceFlush(): Promise<void>
}

interface Registration {
  sdk: Sdk
  users: number
  /** The globals this package set, so that release undoes exactly those. */
  registered: { trace: boolean, propagation: boolean, context: boolean, diag: boolean }
  provider: NodeTracerProvider | undefined
  beforeExit: (() => void) | undefined
  released: Promise<boolean> | undefined
}

/** The API keeps its globals under this symbol (major version 1); checking it avoids a noisy failed registration. */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1')
/** One SDK per process, shared by every Fastify instance (and by both the CJS and ESM entry points). */
const REGISTRATION = Symbol.for('fastify-otel-kit.sdk-registration')

type GlobalSlots = Partial<Record<'trace' | 'propagation' | 'context' | 'diag', unknown>>

function apiGlobals (): GlobalSlots {
  return ((globalThis as Record<symbol, unknown>)[API_GLOBALS] ?? {}) as GlobalSlots
}

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
export function acquireSdk (resolution: ConfigResolution, log: KitLogger): { sdk: Sdk, how: Acquisition } {
  const { config } = resolution
  if (config.disabled.value) return { sdk: disabledSdk(config), how: 'disabled' }

  const existing = currentRegistration()
  if (existing !== undefined && existing.released === undefined) {
    existing.users++
    return { sdk: existing.sdk, how: 'shared' }
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
  const sdk: Sdk = {
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

function adoptApplicationSdk (resolution: ConfigResolution, log: KitLogger): Sdk {
  const globalProvider = trace.getTracerProvider()
  const provider = globalProvider instanceof ProxyTracerProvider ? globalProvider.getDelegate() : globalProvider
  // Without a context manager nothing is ever "active": the hooks need one.
  ensureContextManager()
  const ownPropagator = apiGlobals().propagation === undefined
    ? buildPropagator(resolution.config.propagators.value, resolution.propagatorInstance, resolution.config.extractOnly.value)
    : undefined
  if (ownPropagator !== undefined) propagation.setGlobalPropagator(ownPropagator)
  log.info(
    'fastify-otel-kit: an OpenTelemetry SDK is already registered by the application; using it. ' +
      'The plugin\'s resource, sampler, exporter and batch options are not applied.'
  )
  const flushable = provider as TracerProvider & { forceFlush?: () => Promise<void> }
  return {
    owner: 'application',
    tracer: trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION),
    provider,
    propagator: ownPropagator ?? globalPropagator(),
    config: resolution.config,
    spanFactory: undefined,
    stats: emptyStats,
    forceFlush: async () => { await flushable.forceFlush?.() }
  }
}

function disabledSdk (config: ResolvedConfig): Sdk {
  return {
    owner: 'disabled',
    tracer: trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION),
    provider: trace.getTracerProvider(),
    propagator: globalPropagator(),
    config,
    spanFactory: undefined,
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

function emptyStats (): PipelineStats {
  return { queued: 0, exported: 0, dropped: 0, failed: 0, retries: 0 }
}

/** At most one warning per 10 s for drops and for failed exports, each saying what to change. */
function pipelineWarnings (log: KitLogger, config: ResolvedConfig): ConstructorParameters<typeof BatchExportProcessor>[2] {
  const intervalMillis = 10_000
  let lastDropWarning = 0
  let droppedAtLastWarning = 0
  let lastFailureWarning = 0
  let failedSinceWarning = 0
  return {
    onDrop (total) {
      const now = Date.now()
      if (now - lastDropWarning < intervalMillis) return
      log.warn(
        `fastify-otel-kit: dropped ${total - droppedAtLastWarning} span(s) because the export queue is full ` +
          `(batch.maxQueueSize ${config.batch.maxQueueSize.value}). Raise maxQueueSize to at least ` +
          'peak requests/s x spans per request x scheduledDelayMillis/1000, or check that the collector keeps up.'
      )
      lastDropWarning = now
      droppedAtLastWarning = total
    },
    onExportFailure (spanCount, error) {
      failedSinceWarning += spanCount
      const now = Date.now()
      if (now - lastFailureWarning < intervalMillis) return
      log.warn(
        `fastify-otel-kit: could not export ${failedSinceWarning} span(s) to ${config.exporter.kind.value === 'otlp-grpc' ? 'the collector' : 'the exporter'}: ` +
          `${error?.message ?? 'unknown error'}. The service keeps running; these spans are lost.`
      )
      lastFailureWarning = now
      failedSinceWarning = 0
    }
  }
}

