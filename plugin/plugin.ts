import { context } from '../context/otel-api.js'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AppTelemetry } from './fastify-types.js'
import { installContextBinding, markSelfManaged } from './lifecycle-context.js'
import type { OtelPluginOptions } from './options.js'
import { resolvePluginOptions } from './resolve-options.js'
import { recordRequestError, requestTelemetryOf, type RequestRuntime, startRequestSpan } from './request-span.js'
import { UNTRACED } from './request-telemetry-state.js'
import { acquireSdk, releaseSdk } from '../sdk/assembly/registration.js'
import { flushOnSignals } from '../sdk/lifecycle/signals.js'
import { kRequestTelemetry } from './symbols.js'
import { PACKAGE_NAME } from '../context/instrumentation-scope.js'
import { ExtractOnlyPropagator } from '../context/composite-propagator.js'
import { enableInstrumentations } from '../sdk/instrumentations/enable.js'
import { noteAcquisition } from './acquisition-notes.js'
import { warningsFor } from '../sdk/diagnostics/warnings.js'
import { bridgeFastifyLog } from './log-bridge.js'
import { spanUrlRedactionFor } from '../sdk/traces/span-url-redaction.js'
import { RouteSummaries } from '../sdk/traces/route-summary.js'
import { watchEventLoop } from '../sdk/traces/event-loop-delay.js'
import { withEndpointsRedacted } from '../sdk/config/endpoint.js'
import { deepFreeze } from '../sdk/config/resolve-config.js'
import { lifecycleSettings, routeLifecycleSettings } from './lifecycle-options.js'
import { instrumentRouteContext, timeReplySerializers } from './lifecycle-phases.js'
import { continueAsCurrent } from './lifecycle-timing.js'
import { ClosingRefusals } from './closing-refusals.js'
import { drainKeptAliveConnectionsOnClose } from './keep-alive-drain.js'
import { useKnownMethods } from './http-attributes.js'

const otelKit: FastifyPluginAsync<OtelPluginOptions> = async (instance, options) => {
  // Everything is validated before anything global happens: a bad option leaves no trace behind.
  const { resolution, request: requestOptions, instrumentations } = resolvePluginOptions(options)
  useKnownMethods(resolution.config.knownHttpMethods.value)
  const { config } = resolution
  const log = instance.log
  // Warnings reach people even with Fastify's logger off (process warnings then).
  const warnings = warningsFor(log)

  const acquired = acquireSdk(resolution, { log, warnings })
  const { sdk } = acquired
  noteAcquisition(acquired, options, resolution, log, warnings)
  // extractOnly on an SDK that already existed: its global propagator (the one instrumentations
  // inject with) stops injecting too.
  if (acquired.how === 'shared' && config.extractOnly.value) acquired.restrictToExtraction?.()
  // The pipeline redacts every span's URL attributes (the instrumentations' too) with this
  // instance's keys as well; an SDK shared by several instances redacts the keys of all of them.
  spanUrlRedactionFor(sdk.provider)?.add(requestOptions.redactedQueryKeys)
  const disableInstrumentations =
    sdk.owner === 'disabled'
      ? () => {}
      : enableInstrumentations(instrumentations, sdk.provider, warnings, { meterProvider: sdk.metrics?.provider })

  if (
    config.logs.enabled.value &&
    sdk.logs === undefined &&
    acquired.how === 'shared' &&
    acquired.assembledBy === 'plugin'
  ) {
    warnings.warn(
      'FOK_WARN_CONFIG',
      'option logs is not applied: the OpenTelemetry SDK in use was set up by an earlier registration ' +
        'without log export. Turn logs on there (or with OTEL_LOGS_EXPORTER=otlp).'
    )
  }
  // Every line of this instance's logger is exported beside the spans (docs/guides/logs.md).
  const bridged = config.logs.enabled.value && sdk.logs !== undefined
  const logBridge = bridged ? bridgeFastifyLog(log, sdk.logs!, requestOptions.redactedQueryKeys) : undefined
  if (bridged && logBridge === undefined) {
    warnings.warn(
      'FOK_WARN_CONFIG',
      "log export is on, but this Fastify instance's logger is not pino (logger: false, or a custom loggerInstance): " +
        'its lines are not exported. The OpenTelemetry Logs API still is.'
    )
  }

  let released: Promise<boolean> | undefined
  const release = (): Promise<boolean> => {
    released ??= releaseSdk(sdk, config.shutdownTimeoutMillis.value).then((inTime) => {
      // Lines written before the shutdown began were exported; later ones were refused and counted
      // as dropped (the queue refuses once shutdown starts, as the SDK's does). The pipeline is shut.
      logBridge?.remove()
      if (!inTime && sdk.owner === 'application') {
        warnings.warn(
          'FOK_WARN_SHUTDOWN_ABANDONED',
          "flushing the application's OpenTelemetry SDK did not finish within shutdownTimeoutMillis " +
            `(${config.shutdownTimeoutMillis.value} ms); spans still queued there may be lost when the process exits.`,
          { once: false }
        )
      }
      return inTime
    })
    return released
  }

  // Where the time went (docs/guides/where-did-the-time-go.md): the lifecycle timing settings, and
  // the per-route summary with the process's event loop delay beside it.
  const lifecycle = lifecycleSettings(config)
  const summaries = new RouteSummaries()
  const eventLoop = sdk.owner === 'disabled' || lifecycle.mode === 'off' ? undefined : watchEventLoop()
  // A per-reply serializer (reply.serializer(fn)) is timed like the route's.
  const untimeReplySerializers = sdk.owner === 'disabled' ? undefined : timeReplySerializers(instance)

  const appTelemetry: AppTelemetry = {
    tracer: sdk.tracer,
    provider: sdk.provider,
    meterProvider: sdk.metrics?.provider,
    // Shown with the endpoints' credentials redacted (an application may log what it is given).
    config: deepFreeze(withEndpointsRedacted(sdk.config)),
    owner: sdk.owner,
    forceFlush: () => sdk.forceFlush(),
    shutdown: release,
    stats: () => sdk.stats(),
    routeSummary: ({ reset = false } = {}) => {
      const summary = summaries.summary(eventLoop?.read())
      if (reset) {
        summaries.reset()
        eventLoop?.reset()
      }
      return summary
    }
  }
  instance.decorate('otel', appTelemetry)
  // A getter on the prototype costs nothing per request; the per-request slot is only declared
  // when tracing is on.
  instance.decorateRequest('otel', {
    getter (this: FastifyRequest) {
      return requestTelemetryOf(this) ?? UNTRACED
    }
  })
  if (sdk.owner !== 'disabled') instance.decorateRequest(kRequestTelemetry, null)

  const withdrawFromSignals = flushOnSignals(
    {
      close: () => (instance as FastifyInstance).close(),
      flush: () => sdk.forceFlush(),
      timeoutMillis: config.shutdownTimeoutMillis.value,
      say: (message) => {
        log.info(message)
      },
      warn: (code, message) => {
        warnings.warn(code, message)
      }
    },
    sdk.owner === 'disabled' ? [] : config.handleSignals.value
  )
  // Close ends with the last request, not with the clients' kept-alive connections, so that the
  // flush in onClose is not left waiting (telemetry on or off: shutdown behaves the same).
  drainKeptAliveConnectionsOnClose(instance as FastifyInstance)
  const refusals = new ClosingRefusals(sdk.metrics?.requests)
  // Fastify answers 503 to what arrives once close begins, before any hook: counted from here.
  if (sdk.owner !== 'disabled') {
    instance.addHook('preClose', function watchClosingRefusals (this: FastifyInstance, done) {
      refusals.start(this.server)
      done()
    })
  }
  instance.addHook('onClose', async () => {
    refusals.stop()
    eventLoop?.stop()
    untimeReplySerializers?.()
    withdrawFromSignals()
    disableInstrumentations()
    await release()
  })

  if (sdk.owner === 'disabled') return

  const runtime: RequestRuntime = {
    tracer: sdk.tracer,
    propagator: config.extractOnly.value ? new ExtractOnlyPropagator(sdk.propagator) : sdk.propagator,
    extractOnly: config.extractOnly.value,
    traceResponseHeader: config.traceResponseHeader.value,
    logCorrelation: config.logCorrelation.value,
    spans: sdk.spans,
    log,
    metrics: sdk.metrics?.requests,
    clientDuration: sdk.metrics?.clientDuration,
    ...requestOptions,
    lifecycle,
    instrumentRoute: instrumentRouteContext,
    summaries,
    // The package's own pipeline sees every span start (sdk/traces/child-spans.ts); an
    // application's SDK does not tell the plugin about its spans.
    coverageKnown: sdk.owner === 'plugin'
  }

  // @fastify/otel beside this plugin instruments every request a second time (two SERVER spans,
  // or its request and handler spans beside ours): said once the application is loaded, whichever
  // was registered first. It keeps `hasPlugin('@fastify/otel')` true however it was registered.
  instance.addHook('onReady', function noticeFastifyOtel (this: FastifyInstance, done) {
    if (this.hasPlugin('@fastify/otel')) {
      warnings.warn(
        'FOK_WARN_CONFIG',
        '@fastify/otel is registered on this Fastify instance too: both instrument every request, so each gets ' +
          "@fastify/otel's spans beside this plugin's SERVER span. Keep one: to move to this plugin, remove " +
          "@fastify/otel's registration (its route settings instrumentHooks and instrumentHandler are left to it)."
      )
    }
    done()
  })

  // A route's own lifecycle settings (`config.otel`) are checked when the route is added.
  instance.addHook('onRoute', function checkRouteLifecycle (route) {
    routeLifecycleSettings(lifecycle, route.config?.otel, `${String(route.method)} ${route.url}`)
  })

  // The plugin's own hook needs no context, so it is added unwrapped. The span ends on the raw
  // response's 'close' event (see request-span.ts), which needs no Fastify hook.
  instance.addHook(
    'onError',
    markSelfManaged(function recordError (
      request: FastifyRequest,
      _reply: FastifyReply,
      error: Error,
      done: () => void
    ) {
      recordRequestError(request, error)
      done()
    })
  )

  const { boundEarlierHooks } = installContextBinding(
    instance,
    markSelfManaged(function startRequestSpanHook (request: FastifyRequest, reply: FastifyReply, done: () => void) {
      if (refusals.watching) refusals.took(request.raw)
      const telemetry = startRequestSpan(runtime, request, reply)
      if (!telemetry.traced) return done()
      if (telemetry.timing === null) context.with(telemetry.context, done)
      else continueAsCurrent(telemetry, done)
    })
  )
  if (!boundEarlierHooks) {
    warnings.warn(
      'FOK_WARN_FASTIFY_INTERNALS',
      "this Fastify version's hook store was not found: onRequest hooks registered before the plugin " +
        '(and others where Fastify resumes from I/O) run without the request context. ' +
        'Register the plugin before your own hooks.'
    )
  }
}

export const otelPlugin = fp(otelKit, { fastify: '5.x', name: PACKAGE_NAME })
export default otelPlugin
