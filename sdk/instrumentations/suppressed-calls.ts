import type { Instrumentation } from '@opentelemetry/instrumentation'
import { isTracingSuppressed } from '@opentelemetry/core'
import { context } from '../../context/otel-api.js'

type Hook = (request: unknown) => boolean

/** The hook of each client instrumentation that can leave an outgoing request alone. */
const IGNORE_HOOKS: Readonly<Record<string, string>> = Object.freeze({
  '@opentelemetry/instrumentation-undici': 'ignoreRequestHook',
  '@opentelemetry/instrumentation-http': 'ignoreOutgoingRequestHook'
})

/**
 * For the instrumentations the preload makes: an outgoing call made with tracing suppressed is
 * left alone (no span, no http.client.request.duration). Those are the calls the plugin measures
 * itself (`request.otel.fetch`, `request.otel.outbound`: their CLIENT span and metric) and the
 * SDK's own exports; upstream's client instrumentations make no span for them already, but still
 * count them in their metrics, which would count each call twice. Nothing else changes: under a
 * suppressed context no trace header is injected either way.
 */
export function leaveSuppressedCallsAlone (instrumentation: Instrumentation): void {
  const key = IGNORE_HOOKS[instrumentation.instrumentationName]
  if (key === undefined) return
  const config = instrumentation.getConfig() as Record<string, unknown>
  const own = typeof config[key] === 'function' ? (config[key] as Hook) : undefined
  const hook: Hook = (request) => isTracingSuppressed(context.active()) || own?.(request) === true
  instrumentation.setConfig({ ...config, [key]: hook })
}
