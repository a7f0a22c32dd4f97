import { apiGlobals } from '../../context/api-globals.js'
import { setGlobalTracerProvider } from '../../context/api-builds.js'
import { InjectionGate } from '../../context/composite-propagator.js'
import { ensureContextManager } from '../../context/context-manager.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import { context, metrics, propagation, trace } from '../../context/otel-api.js'
import type { ResolvedSdkConfig } from '../config/options.js'
import type { ConfigResolution } from '../config/resolve-config.js'
import { describeApiProblem, inspectApiVersions } from '../diagnostics/api-versions.js'
import { installDiagLogger, uninstallDiagLogger } from '../diagnostics/diag-logger.js'
import type { KitLogger } from '../diagnostics/kit-logger.js'
import type { Warnings } from '../diagnostics/warnings.js'
import { beforeSignalExit } from '../lifecycle/signals.js'
import { withTimeout } from '../lifecycle/with-timeout.js'
import { exitFlushListener } from './exit-flush.js'
import { finalAccounting, type FinalReason } from './final-accounting.js'
import { adoptApplicationSdk, disabledSdk } from './foreign-sdk.js'
import { assemblePipeline, type Pipeline } from './pipeline.js'
import type { Sdk } from './sdk.js'
import { setSpanSink } from '../traces/span-sink.js'
import { setLogSink } from '../logs/log-sink.js'
import { factorySpanStarter } from '../traces/span-starter.js'
import { registerLoggerProvider, unregisterLoggerProvider } from '../logs/global-logger-provider.js'
import type { PendingIdentityResource, SettledBy } from './pending-identity.js'
import { identityAttributes } from './resource.js'

interface Registration {
  sdk: Sdk
  users: number
  assembledBy: AssembledBy
  /** The propagator registered globally, which instrumentations inject with. */
  globalPropagator: InjectionGate | undefined
  /** The globals this package set, so that release undoes exactly those. */
  registered: { trace: boolean; propagation: boolean; context: boolean; diag: boolean; logs: boolean; metrics: boolean }
  pipeline: Pipeline
  /** What the registration that assembled the SDK resolved: later ones are compared with it. */
  resolution: ConfigResolution
  warnings: Warnings
  beforeExit: (() => void) | undefined
  /** Withdraws the final accounting from the signal handler's exit. */
  withdrawFromSignalExit: () => void
  /** Set once the final accounting ran (finalAccounting): the pipeline takes nothing more. */
  finalized: boolean
  released: Promise<boolean> | undefined
}

/** One SDK per process, shared by every Fastify instance (and by both the CJS and ESM entry points). */
const REGISTRATION = Symbol.for('fastify-otel-kit.sdk-registration')

function currentRegistration (): Registration | undefined {
  return (globalThis as Record<symbol, Registration | undefined>)[REGISTRATION]
}

function setRegistration (registration: Registration | undefined): void {
  ;(globalThis as Record<symbol, Registration | undefined>)[REGISTRATION] = registration
}

export type Acquisition = 'assembled' | 'shared' | 'application' | 'disabled'

/** Who set the process's SDK up: a plugin registration, or the preload entry from the environment. */
export type AssembledBy = 'plugin' | 'preload'

export interface Acquired<C extends ResolvedSdkConfig> {
  sdk: Sdk<C>
  how: Acquisition
  /** For `assembled` and `shared`: who assembled the SDK in use. */
  assembledBy?: AssembledBy
  /**
   * Makes the globally registered propagator extract-only (the instrumentations' injection
   * included), for a registration that asks for extractOnly when the SDK already existed.
   */
  restrictToExtraction?: () => void
  /**
   * For an SDK the preload assembled: settles the service identity (resource attributes, service
   * name, version and environment) with what this registration resolves them to, unless the first
   * export has settled it already. Returns whether it was applied.
   */
  settleIdentity?: (config: ResolvedSdkConfig) => boolean
  /**
   * For `shared`: what the registration that assembled the SDK resolved, to compare this one's
   * options with (shared-sdk-options.ts).
   */
  sharedResolution?: ConfigResolution
}

/** What the preload says when its first export settles the identity and no service name was set anywhere. */
export const NO_SERVICE_NAME_AT_FIRST_EXPORT =
  'No service name is set (OTEL_SERVICE_NAME, or option serviceName of a plugin registered before the first export): ' +
  'spans and log records are reported as "unknown_service:node".'

export interface Reporting {
  /** Informational lines (which SDK is used); optional, like Fastify's logger. */
  log: KitLogger | undefined
  warnings: Warnings
}

/**
 * Gives the caller the process's SDK, assembling and registering it on first use in the right
 * order: resource, sampler, exporter, batch processor, provider, then global registration.
 */
export function acquireSdk<C extends ResolvedSdkConfig> (
  resolution: ConfigResolution<C>,
  { log, warnings }: Reporting,
  { assembledBy = 'plugin' }: { assembledBy?: AssembledBy } = {}
): Acquired<C> {
  const { config } = resolution
  if (config.disabled.value) return { sdk: disabledSdk(config), how: 'disabled' }

  const existing = currentRegistration()
  if (existing !== undefined && existing.released === undefined) {
    existing.users++
    const gate = existing.globalPropagator
    const pending = existing.pipeline.resource as Partial<PendingIdentityResource>
    return {
      sdk: existing.sdk as Sdk<C>,
      how: 'shared',
      assembledBy: existing.assembledBy,
      sharedResolution: existing.resolution,
      restrictToExtraction: () => {
        if (gate !== undefined) gate.injects = false
      },
      ...(typeof pending.settle === 'function'
        ? { settleIdentity: (own: ResolvedSdkConfig) => settleIdentity(existing, pending.settle!.bind(pending), own) }
        : {})
    }
  }

  // Before registering: a second API copy, or globals made by another version, would make every
  // span a silent no-op. Say so, loudly, with the fix.
  const apiProblem = describeApiProblem(inspectApiVersions())
  if (apiProblem !== undefined) warnings.warn('FOK_WARN_API_VERSIONS', apiProblem, { loud: true })

  const globals = apiGlobals()
  if (globals.trace !== undefined) return { sdk: adoptApplicationSdk(resolution, log, warnings), how: 'application' }

  const diagInstalled = globals.diag === undefined && installDiagLogger(log, warnings, config.logLevel.value)
  // The preload runs before the plugin's options are known: the identity stays open for them.
  const onSettled = (by: SettledBy): void => {
    if (by === 'export' && config.serviceName.source === 'default') {
      warnings.warn('FOK_WARN_CONFIG', NO_SERVICE_NAME_AT_FIRST_EXPORT)
    }
  }
  const pipeline = assemblePipeline(
    resolution,
    warnings,
    assembledBy === 'preload' ? { pendingIdentity: { onSettled } } : {}
  )
  const registered = {
    trace: false,
    propagation: false,
    context: false,
    diag: diagInstalled,
    logs: false,
    metrics: false
  }
  registered.context = ensureContextManager()
  let globalPropagator: InjectionGate | undefined
  if (globals.propagation === undefined) {
    globalPropagator = new InjectionGate(pipeline.propagator)
    registered.propagation = propagation.setGlobalPropagator(globalPropagator)
  } else {
    log?.info(
      "fastify-otel-kit: the application registered its own propagator; requests use the plugin's, " +
        "other code keeps the application's."
    )
  }
  registered.trace = setGlobalTracerProvider(pipeline.provider)
  if (pipeline.metrics !== undefined) {
    // Before any instrumentation is built: instrumentations take their meter from the global
    // MeterProvider when they are made, and the Metrics API has no proxy to point later. Both
    // builds of the API (CommonJS and ES modules) read the one global slot, so this reaches both.
    registered.metrics = metrics.setGlobalMeterProvider(pipeline.metrics.provider)
    if (!registered.metrics) {
      log?.info(
        'fastify-otel-kit: the application registered its own MeterProvider; the HTTP and SDK metrics go to ' +
          "the plugin's, Metrics API users keep the application's."
      )
    }
  }
  if (pipeline.logs !== undefined) {
    registered.logs = registerLoggerProvider(pipeline.logs.provider)
    if (!registered.logs) {
      log?.info(
        'fastify-otel-kit: the application registered its own LoggerProvider; ' +
          "Fastify's log lines go to the plugin's, Logs API users keep the application's."
      )
    }
  }

  const tracer = pipeline.provider.getTracer(PACKAGE_NAME, PACKAGE_VERSION)
  const sdk: Sdk<C> = {
    owner: 'plugin',
    tracer,
    spans: factorySpanStarter(pipeline.spanFactory),
    logs:
      pipeline.logs === undefined
        ? undefined
        : { logger: pipeline.logs.provider.getLogger(PACKAGE_NAME, PACKAGE_VERSION), sink: pipeline.logs.sink },
    provider: pipeline.provider,
    propagator: pipeline.propagator,
    config,
    metrics:
      pipeline.metrics === undefined
        ? undefined
        : {
            provider: pipeline.metrics.provider,
            requests: pipeline.metrics.requests,
            clientDuration: pipeline.metrics.clientDuration
          },
    stats: pipeline.stats,
    forceFlush: () => pipeline.forceFlush()
  }
  const registration: Registration = {
    sdk,
    users: 1,
    assembledBy,
    globalPropagator,
    registered,
    pipeline,
    resolution,
    warnings,
    beforeExit: undefined,
    withdrawFromSignalExit: () => {},
    finalized: false,
    released: undefined
  }
  const timeoutMillis = config.shutdownTimeoutMillis.value
  if (pipeline.batchProcessor !== undefined || pipeline.logs !== undefined) {
    registration.beforeExit = exitFlushListener(pipeline, timeoutMillis, () => {
      finalize(registration, 'exit', timeoutMillis, false)
    })
    process.on('beforeExit', registration.beforeExit)
  }
  // The signal handler exits the process at its own deadline, which comes before the release's
  // bound (that one starts when Fastify reaches onClose, after in-flight requests), and the preload
  // never releases at all: the handler settles the books just before it exits.
  registration.withdrawFromSignalExit = beforeSignalExit((interrupted) => {
    finalize(registration, interrupted ? 'interrupted' : 'signal', timeoutMillis, false)
  })
  setRegistration(registration)
  // Spans relayed home from worker threads join this pipeline: every processor, this resource.
  setSpanSink({
    processor: pipeline.processors,
    resource: pipeline.resource,
    warnings,
    spans: sdk.spans,
    limits: pipeline.spanFactory.limits
  })
  // Log records relayed home from worker threads join the log queue with their dropped counts.
  setLogSink(pipeline.logs?.sink)
  return { sdk, how: 'assembled', assembledBy }
}

/**
 * Drops one user of the SDK. The last user of an SDK this package assembled flushes it, shuts it
 * down and unregisters the globals, all within `timeoutMillis` so a dead collector cannot hang the
 * exit. What the bound leaves unexported is counted as failed and warned about. Returns whether
 * everything finished in time.
 */
export async function releaseSdk (sdk: Sdk, timeoutMillis: number): Promise<boolean> {
  if (sdk.owner === 'disabled') return true
  if (sdk.owner === 'application') return await withTimeout(sdk.forceFlush(), timeoutMillis)
  const registration = currentRegistration()
  if (registration === undefined || registration.sdk !== sdk) return true
  registration.users--
  if (registration.users > 0) return await withTimeout(sdk.forceFlush(), timeoutMillis)
  registration.released ??= (async () => {
    const { pipeline } = registration
    if (registration.beforeExit !== undefined) process.removeListener('beforeExit', registration.beforeExit)
    // The globals are released even when shutdown hits the bound, so a hung exporter never
    // leaves a dead SDK registered for the next instance to adopt. Spans and log records share
    // the one bound.
    const inTime = await withTimeout(pipeline.shutdown(), timeoutMillis)
    registration.withdrawFromSignalExit()
    finalize(registration, 'release', timeoutMillis, !inTime)
    if (registration.registered.trace) trace.disable()
    if (registration.registered.propagation) propagation.disable()
    if (registration.registered.context) context.disable()
    if (registration.registered.diag) uninstallDiagLogger()
    if (registration.registered.logs) unregisterLoggerProvider()
    if (registration.registered.metrics) metrics.disable()
    setSpanSink(undefined)
    setLogSink(undefined)
    setRegistration(undefined)
    return inTime
  })()
  return await registration.released
}

/**
 * The first plugin registration under the preload settles the identity; the SDK's configuration
 * (`app.otel.config`) then shows the identity in use, with where each part came from.
 */
function settleIdentity (
  registration: Registration,
  settle: PendingIdentityResource['settle'],
  own: ResolvedSdkConfig
): boolean {
  if (!settle('plugin', identityAttributes(own))) return false
  const config = registration.sdk.config
  if (!Object.isFrozen(config)) {
    Object.assign(config, {
      serviceName: own.serviceName,
      serviceVersion: own.serviceVersion,
      deploymentEnvironment: own.deploymentEnvironment,
      resourceAttributes: own.resourceAttributes
    })
  }
  return true
}

/** The final accounting, once per registration, by whichever path ends the pipeline first. */
function finalize (registration: Registration, reason: FinalReason, timeoutMillis: number, boundHit: boolean): void {
  if (registration.finalized) return
  registration.finalized = true
  finalAccounting(registration.pipeline, registration.warnings, { reason, timeoutMillis, boundHit })
}
